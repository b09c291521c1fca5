// Command gomessage parses every file under a directory with
// github.com/emersion/go-message: message.Read, then Walk over every entity,
// reading every leaf body (transfer encoding and charset decoded).
package main

import (
	"bufio"
	"io"
	"os"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode non-UTF-8 charsets, as mailroot's binary does
	"github.com/mailroot/mailroot/bench/internal/corpus"
)

func main() {
	corpus.Main("gomessage", func(path string, c *corpus.Counts) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			c.Bytes.Add(fi.Size())
		}
		e, err := message.Read(bufio.NewReaderSize(f, 64<<10))
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		if err != nil {
			c.Defects.Add(1)
		}
		return e.Walk(func(_ []int, e *message.Entity, err error) error {
			c.Parts.Add(1)
			if err != nil {
				c.Defects.Add(1)
				return nil
			}
			if e.MultipartReader() != nil {
				return nil
			}
			n, err := io.Copy(io.Discard, e.Body)
			c.Decoded.Add(n)
			if err != nil {
				c.Defects.Add(1)
			}
			return nil
		})
	})
}
