package queue_test

import (
	"fmt"
	"strings"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

func ExampleWriteMessage() {
	env := mime.Envelope{Sender: "alice@example.com", Recipients: []string{"bob@example.net"}}
	msg := "From: alice@example.com\nTo: bob@example.net\n\n.\nbye\n"
	var out strings.Builder
	if _, err := queue.WriteMessage(&out, queue.FormatPickup, env, strings.NewReader(msg)); err != nil {
		panic(err)
	}
	for _, line := range strings.SplitAfter(out.String(), "\r\n") {
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "x-sender: alice@example.com\r\n"
	// "x-receiver: bob@example.net\r\n"
	// "From: alice@example.com\r\n"
	// "To: bob@example.net\r\n"
	// "\r\n"
	// "..\r\n"
	// "bye\r\n"
	// ""
}
