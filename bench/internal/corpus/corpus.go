// Package corpus walks a benchmark corpus: every regular file under a root,
// handed to a pool of workers, as the peer parsers in the benchmark need.
package corpus

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counts is what one benchmark program reports on stderr when it ends.
type Counts struct {
	Files, Bytes, Parts, Defects, Failures, Decoded atomic.Int64
}

// Main parses "-workers N ROOT", runs parse on every file under ROOT and
// prints the counts to stderr. parse returns a hard failure (the file could
// not be parsed at all); defects it tolerates are counted in c.
func Main(name string, parse func(path string, c *Counts) error) {
	workers := flag.Int("workers", runtime.NumCPU(), "files parsed at a time")
	verbose := flag.Bool("v", false, "print every failure")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "usage: %s [-workers N] DIR\n", name)
		os.Exit(2)
	}
	start := time.Now()
	var c Counts
	if err := Walk(flag.Arg(0), *workers, func(p string) {
		c.Files.Add(1)
		if err := parse(p, &c); err != nil {
			c.Failures.Add(1)
			if *verbose {
				fmt.Fprintf(os.Stderr, "%s: %s: %v\n", name, p, err)
			}
		}
	}); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "%s: %d files, %d bytes, %d parts, %d decoded bytes, %d defects, %d failures, %.2fs\n",
		name, c.Files.Load(), c.Bytes.Load(), c.Parts.Load(), c.Decoded.Load(), c.Defects.Load(), c.Failures.Load(), time.Since(start).Seconds())
}

// skip reports whether a file is BadMail side data (.BDR reason text,
// .BDP binary envelope), which holds no message for a parser to read.
func skip(p string) bool {
	switch strings.ToUpper(filepath.Ext(p)) {
	case ".BDR", ".BDP":
		return true
	}
	return false
}

// Walk calls fn for every regular message file (not .BDR/.BDP) under root from workers goroutines.
// The directory walk is streamed to the workers, not collected first.
func Walk(root string, workers int, fn func(path string)) error {
	if workers < 1 {
		workers = 1
	}
	paths := make(chan string, 4*workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				fn(p)
			}
		}()
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !skip(p) {
			paths <- p
		}
		return nil
	})
	close(paths)
	wg.Wait()
	return err
}
