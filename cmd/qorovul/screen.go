package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// screenResult is one line of `qorovul screen --json`.
type screenResult struct {
	Query   string        `json:"query"`
	Matches []screenMatch `json:"matches"`
}

type screenMatch struct {
	List    string  `json:"list"`
	EntryID string  `json:"entry_id"`
	Name    string  `json:"name"`
	Score   float64 `json:"score"`
	Via     string  `json:"via"`
}

// runScreen implements `qorovul screen [--lists DIR] [--json] [--threshold X] NAME…`: the
// sanctions matches for each name ("-" reads names from stdin, one a line).
func runScreen(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listsDir := fs.String("lists", "", "folder of sanctions lists (default: the shipped snapshot)")
	asJSON := fs.Bool("json", false, "print one JSON object a line")
	threshold := fs.Float64("threshold", sanctions.DefaultReviewThreshold, "lowest score shown, 0..1")
	dob := fs.String("dob", "", "date of birth of every name, YYYY-MM-DD or YYYY (optional)")
	nationality := fs.String("nationality", "", "nationality of every name, ISO code or country (optional)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: qorovul screen [--lists DIR] [--json] [--threshold X] [--dob D] [--nationality C] NAME… (NAME - reads stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("screen: %v", err)
	}
	if *threshold < 0 || *threshold > 1 {
		return usageError("screen: --threshold %v: want a score between 0 and 1", *threshold)
	}
	names, err := screenNames(fs.Args(), stdin)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return usageError("screen: no NAME given")
	}
	var ix *sanctions.Index
	if *listsDir != "" {
		ix, err = lists.LoadDir(*listsDir)
	} else {
		ix, err = lists.LoadDefault()
	}
	if err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms := ix.ScreenAt(sanctions.Query{Name: name, DOB: *dob, Nationality: *nationality}, *threshold)
		if *asJSON {
			res := screenResult{Query: name, Matches: make([]screenMatch, 0, len(ms))}
			for _, m := range ms {
				res.Matches = append(res.Matches, screenMatch{m.List, m.EntryID, m.Name, m.Score, m.Via})
			}
			if err := enc.Encode(res); err != nil {
				return fmt.Errorf("screen: write: %w", err)
			}
			continue
		}
		fmt.Fprintf(w, "%s\n", name)
		if len(ms) == 0 {
			fmt.Fprintf(w, "  no match at or above %.2f\n", *threshold)
		}
		for _, m := range ms {
			fmt.Fprintf(w, "  %.3f  %-8s %-10s %s\n         via %s\n", m.Score, m.List, m.EntryID, m.Name, m.Via)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("screen: write: %w", err)
	}
	return nil
}

// screenNames expands "-" into the non-empty lines of stdin.
func screenNames(args []string, stdin io.Reader) ([]string, error) {
	var names []string
	for _, a := range args {
		if a != "-" {
			names = append(names, a)
			continue
		}
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				names = append(names, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("screen: read stdin: %w", err)
		}
	}
	return names, nil
}
