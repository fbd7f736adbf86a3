package engine

import (
	"os"
	"syscall"
)

// fdatasync writes f's data to the disk, and of its metadata only what is
// needed to read the data back (not its times).
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
