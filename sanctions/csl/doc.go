// Package csl reads the US Consolidated Screening List (trade.gov consolidated.csv, plain or
// gzip) and maps its rows to sanctions.Entity: name, alt_names as aliases, dates of birth,
// nationalities and citizenships, the source list and programs as programs.
package csl
