package repair_test

import (
	"fmt"
	"time"

	"github.com/mailroot/mailroot/mime/repair"
)

func ExampleRepair() {
	msg := []byte("From: a@example.com\nTo: b@example.com\nDate: yesterday\nContent-Type: text/plain; charset=\"\"\n\nhello\n")
	fixed, res, err := repair.Repair(msg, repair.Options{FileTime: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c.Rule, "line", c.Line)
	}
	fmt.Printf("%q\n", fixed)
	// Output:
	// STR-002 line 1
	// HDR-002 line 3
	// CT-001 line 4
	// "From: a@example.com\r\nTo: b@example.com\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nX-Original-Date: yesterday\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
}
