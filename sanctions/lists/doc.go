// Package lists loads sanctions lists from a folder (LoadDir) or from the embedded snapshot
// (LoadDefault) into a sanctions.Index. It recognises the files it finds by name, reads each
// with its list package (ofac, un, csl), and computes the lists_version over the files'
// contents and publication dates.
//
// The CSL republishes OFAC's SDN list under the same entry ids. When both are loaded, a CSL
// entry that only repeats its OFAC entry (same id and type, each of its names, programs and
// dates of birth on the OFAC entry) is dropped, so that a listed person comes back once, as
// ofac_sdn; a CSL copy that says anything more is kept.
package lists
