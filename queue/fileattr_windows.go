package queue

import (
	"errors"
	"io/fs"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// fileAttrs reads the creation time and the read-only attribute from the
// Win32 attribute data behind fi (os.Lstat and DirEntry.Info both carry it).
func fileAttrs(fi fs.FileInfo) (created time.Time, readOnly bool) {
	d, ok := fi.Sys().(*syscall.Win32FileAttributeData)
	if !ok || d == nil {
		return time.Time{}, fi.Mode().Perm()&0o222 == 0
	}
	return time.Unix(0, d.CreationTime.Nanoseconds()), d.FileAttributes&syscall.FILE_ATTRIBUTE_READONLY != 0
}

// x/sys/windows (v0.49) has no FindFirstStreamW/FindNextStreamW, so they
// are called from kernel32 directly.
var (
	modkernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procFindFirstStreamW = modkernel32.NewProc("FindFirstStreamW")
	procFindNextStreamW  = modkernel32.NewProc("FindNextStreamW")
)

// win32FindStreamData is WIN32_FIND_STREAM_DATA.
type win32FindStreamData struct {
	StreamSize int64 // LARGE_INTEGER
	StreamName [windows.MAX_PATH + 36]uint16
}

const findStreamInfoStandard = 0

// listStreams lists the alternate data streams of path with
// FindFirstStreamW. A file with only its unnamed data stream gives an
// empty, non-nil slice. An error (for example a file system without
// streams: FAT, some network shares) gives nil and the error, so callers
// can tell "none" from "unknown".
func listStreams(path string) ([]Stream, error) {
	p, err := windows.UTF16PtrFromString(longPath(path))
	if err != nil {
		return nil, err
	}
	var data win32FindStreamData
	r1, _, e1 := procFindFirstStreamW.Call(uintptr(unsafe.Pointer(p)), findStreamInfoStandard, uintptr(unsafe.Pointer(&data)), 0)
	h := windows.Handle(r1)
	if h == windows.InvalidHandle {
		if errors.Is(e1, windows.ERROR_HANDLE_EOF) {
			return []Stream{}, nil
		}
		return nil, e1
	}
	defer windows.FindClose(h)
	streams := []Stream{}
	for {
		if name, ok := parseStreamName(windows.UTF16ToString(data.StreamName[:])); ok && len(streams) < maxStreams {
			streams = append(streams, Stream{Name: name, Size: data.StreamSize})
		}
		r1, _, e1 = procFindNextStreamW.Call(uintptr(h), uintptr(unsafe.Pointer(&data)))
		if r1 == 0 {
			if errors.Is(e1, windows.ERROR_HANDLE_EOF) {
				return streams, nil
			}
			return nil, e1
		}
	}
}
