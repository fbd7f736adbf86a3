// Package lists loads sanctions lists from a folder (LoadDir) or from the embedded snapshot
// (LoadDefault) into a sanctions.Index. It recognises the files it finds by name, reads each
// with its list package (ofac, un, csl), and computes the lists_version over the files'
// contents and publication dates.
package lists
