// Command scanprof runs mailroot's scanner (mime.Scan) alone over every
// message file under a directory, optionally under the CPU or heap
// profiler, to find the scanner's hot spots on a realistic corpus:
//
//	go run ./scanprof -cpuprofile cpu.prof "DIR/vsi 1"
//	go tool pprof -top cpu.prof
//
// It skips the CLI (walk, JSON, summary) so the profile shows mime only.
// The folder kind is taken from the parent folder's name.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailroot/mailroot/bench/internal/corpus"
	"github.com/mailroot/mailroot/mime"
)

func main() {
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
	mem := flag.String("memprofile", "", "write an allocation profile to `FILE` at the end")
	workers := flag.Int("workers", 1, "files scanned at a time")
	sha := flag.Bool("sha256", false, "hash every message with SHA-256 while scanning, as scan --all does (scan hashes only messages with findings)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scanprof [-cpuprofile FILE] [-memprofile FILE] [-workers N] [-sha256] DIR")
		os.Exit(2)
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fmt.Fprintf(os.Stderr, "scanprof: %v\n", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "scanprof: %v\n", err)
			os.Exit(1)
		}
	}
	if *mem != "" {
		runtime.MemProfileRate = 64 << 10
	}
	start := time.Now()
	var files, bytes, findings, failures atomic.Int64
	err := corpus.Walk(flag.Arg(0), *workers, func(p string) {
		f, err := os.Open(p)
		if err != nil {
			failures.Add(1)
			return
		}
		defer f.Close()
		rep, err := mime.Scan(f, mime.Options{Folder: folderOf(p), DeferSHA256: !*sha})
		if err != nil {
			failures.Add(1)
			fmt.Fprintf(os.Stderr, "scanprof: %s: %v\n", p, err)
			return
		}
		files.Add(1)
		bytes.Add(rep.Size)
		findings.Add(int64(len(rep.Findings)))
	})
	d := time.Since(start)
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	if *mem != "" {
		f, err := os.Create(*mem)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "scanprof: %v\n", err)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "scanprof: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("scanprof: %d files, %d bytes, %d findings, %d failures, %.2fs, %.1f MB/s\n",
		files.Load(), bytes.Load(), findings.Load(), failures.Load(), d.Seconds(), float64(bytes.Load())/1e6/d.Seconds())
}

// folderOf maps the parent folder's name to a folder kind.
func folderOf(p string) mime.Folder {
	switch strings.ToLower(filepath.Base(filepath.Dir(p))) {
	case "queue":
		return mime.FolderQueue
	case "pickup":
		return mime.FolderPickup
	case "badmail":
		return mime.FolderBadMail
	case "drop":
		return mime.FolderDrop
	case "replay":
		return mime.FolderReplay
	}
	return mime.FolderGeneric
}
