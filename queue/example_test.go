package queue_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/mailroot/mailroot/queue"
)

// Walk the sample mailroot and list the BadMail units with their reasons'
// error codes and the skipped paths.
func Example() {
	l, err := queue.Detect("../fixtures/mailroot/vsi 1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("layout:", l.Kind)
	var lines, skipped []string
	err = queue.Walk(context.Background(), l, queue.WalkOptions{
		Skipped: func(s queue.Skip) { skipped = append(skipped, filepath.Base(s.Path)+" "+string(s.Reason)) },
	}, func(it queue.Item) error {
		if len(it.ReasonCodes) > 0 {
			lines = append(lines, fmt.Sprintf("%s: %d files, %s %s", filepath.Base(it.Path), len(it.Members), it.ReasonCodes[0].Code, it.ReasonCodes[0].Reference))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sort.Strings(lines)
	sort.Strings(skipped)
	for _, s := range append(lines, skipped...) {
		fmt.Println(s)
	}
	// Output:
	// layout: exchange-vsi
	// NTFS_7b2e4d1000000001.BAD: 3 files, 0xC00402C7 IIS SMTP BadMail reason text; KB 267859
	// NTFS_7b2e4d1000000002.BAD: 3 files, 0xC00402CE KB 319285
	// NTFS_7b2e4d1000000003.BAD: 2 files, 0xC00402C7 IIS SMTP BadMail reason text; KB 267859
	// NTFS_7b2e4d1000000004.BDR: 1 files, 0xC00402CE KB 319285
	// NTFS_3a1f0c2e00000009.LTR transcript
	// Retry subfolder
}
