package lists

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/csl"
	"github.com/qorovul/qorovul/sanctions/ofac"
	"github.com/qorovul/qorovul/sanctions/snapshot"
	"github.com/qorovul/qorovul/sanctions/un"
)

// ManifestFile is the optional file in a lists folder giving publication dates, one
// "<file> <date>" a line; the dates enter the lists_version.
const ManifestFile = "manifest.txt"

// kind of a recognised list file
type kind int

const (
	kindNone kind = iota
	kindSDN
	kindAlt
	kindAdd
	kindComments
	kindUN
	kindCSL
)

// recognise names a list file by its name, with or without .gz.
func recognise(name string) kind {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch {
	case n == "sdn.csv":
		return kindSDN
	case n == "alt.csv":
		return kindAlt
	case n == "add.csv":
		return kindAdd
	case n == "sdn_comments.csv":
		return kindComments
	case strings.HasSuffix(n, ".xml") && (strings.Contains(n, "consolidated") || strings.HasPrefix(n, "un")):
		return kindUN
	case strings.HasSuffix(n, ".csv") && (strings.Contains(n, "consolidated") || strings.Contains(n, "csl")):
		return kindCSL
	}
	return kindNone
}

// LoadDir loads every list file it recognises in dir (not in subfolders): sdn.csv with
// alt.csv, add.csv and sdn_comments.csv (OFAC), a consolidated*.xml (UN), a consolidated*.csv
// or *csl*.csv (CSL); each may be gzip-compressed (.gz).
func LoadDir(dir string) (*sanctions.Index, error) {
	ix, err := LoadFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("load lists from %s: %w", dir, err)
	}
	return ix, nil
}

// LoadDefault loads the embedded snapshot.
func LoadDefault() (*sanctions.Index, error) {
	ix, err := LoadFS(snapshot.FS())
	if err != nil {
		return nil, fmt.Errorf("load embedded lists: %w", err)
	}
	return ix, nil
}

// LoadFS loads the list files at the top of fsys.
func LoadFS(fsys fs.FS) (*sanctions.Index, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read folder: %w", err)
	}
	dates, err := readManifest(fsys)
	if err != nil {
		return nil, err
	}
	files := map[kind]string{}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		k := recognise(e.Name())
		if k == kindNone {
			continue
		}
		if prev, dup := files[k]; dup {
			return nil, fmt.Errorf("two files of one kind: %s and %s", prev, e.Name())
		}
		files[k] = e.Name()
		names = append(names, e.Name())
	}
	if len(files) == 0 {
		return nil, errors.New("no list files (sdn.csv, consolidated.xml, consolidated.csv…)")
	}
	if files[kindSDN] == "" && (files[kindAlt] != "" || files[kindAdd] != "" || files[kindComments] != "") {
		return nil, errors.New("OFAC alt.csv/add.csv without sdn.csv")
	}
	sort.Strings(names)
	h := sha256.New()
	content := map[string][]byte{}
	for _, name := range names {
		b, err := readFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		content[name] = b
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s\x00%x\x00%s\n", strings.TrimSuffix(name, ".gz"), sum, dates[name])
	}
	var entities []sanctions.Entity
	if name := files[kindSDN]; name != "" {
		es, err := loadOFAC(files, content)
		if err != nil {
			return nil, err
		}
		entities = append(entities, es...)
	}
	if name := files[kindUN]; name != "" {
		l, err := un.Read(bytes.NewReader(content[name]))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		fmt.Fprintf(h, "un dateGenerated %s\n", l.DateGenerated)
		entities = append(entities, un.Map(l)...)
	}
	if name := files[kindCSL]; name != "" {
		rows, err := csl.Read(bytes.NewReader(content[name]))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		entities = append(entities, csl.Map(rows)...)
	}
	entities = dropCSLCopies(entities)
	version := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return sanctions.NewIndex(entities, version)
}

func loadOFAC(files map[kind]string, content map[string][]byte) ([]sanctions.Entity, error) {
	read := func(k kind, fn func(io.Reader) error) error {
		name := files[k]
		if name == "" {
			return nil
		}
		if err := fn(bytes.NewReader(content[name])); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		return nil
	}
	var (
		sdns     []ofac.SDN
		alts     []ofac.Alt
		addrs    []ofac.Address
		comments []ofac.Comment
	)
	err := errors.Join(
		read(kindSDN, func(r io.Reader) (err error) { sdns, err = ofac.ReadSDN(r); return }),
		read(kindAlt, func(r io.Reader) (err error) { alts, err = ofac.ReadAlt(r); return }),
		read(kindAdd, func(r io.Reader) (err error) { addrs, err = ofac.ReadAddresses(r); return }),
		read(kindComments, func(r io.Reader) (err error) { comments, err = ofac.ReadComments(r); return }),
	)
	if err != nil {
		return nil, err
	}
	return ofac.Map(sdns, alts, addrs, comments), nil
}

// readFile reads a file whole, gunzipping .gz files.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(strings.ToLower(name), ".gz") {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return out, nil
}

func readManifest(fsys fs.FS) (map[string]string, error) {
	dates := map[string]string{}
	f, err := fsys.Open(ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return dates, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ManifestFile, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		fields := strings.Fields(t)
		if len(fields) != 2 {
			return nil, fmt.Errorf("read %s: line %d: want \"<file> <date>\"", ManifestFile, line)
		}
		dates[fields[0]] = fields[1]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	return dates, nil
}
