// Package snapshot embeds the default sanctions lists (gzip copies of OFAC SDN with its alias
// and address files, the UN consolidated list and the US Consolidated Screening List) and
// their publication dates. See README.md for the origin of each file.
package snapshot

import (
	"embed"
	"io/fs"
)

//go:embed data/*.gz data/manifest.txt
var files embed.FS

// FS is the snapshot folder: the list files and manifest.txt.
func FS() fs.FS {
	sub, err := fs.Sub(files, "data")
	if err != nil {
		// fs.Sub fails only on an invalid path; "data" is valid.
		panic(err)
	}
	return sub
}
