package main

import "syscall"

// maxRSSKiB: macOS reports ru_maxrss in bytes.
func maxRSSKiB(ru *syscall.Rusage) int64 { return ru.Maxrss / 1024 }
