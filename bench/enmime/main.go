// Command enmime parses every file under a directory with
// github.com/jhillyerd/enmime (ReadEnvelope: every part decoded and
// converted to UTF-8), walks the part tree and counts parts and errors.
package main

import (
	"bufio"
	"os"

	"github.com/jhillyerd/enmime/v2"
	"github.com/mailroot/mailroot/bench/internal/corpus"
)

func main() {
	corpus.Main("enmime", func(path string, c *corpus.Counts) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			c.Bytes.Add(fi.Size())
		}
		env, err := enmime.ReadEnvelope(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			return err
		}
		c.Defects.Add(int64(len(env.Errors)))
		var walk func(p *enmime.Part)
		walk = func(p *enmime.Part) {
			for ; p != nil; p = p.NextSibling {
				c.Parts.Add(1)
				c.Decoded.Add(int64(len(p.Content)))
				c.Defects.Add(int64(len(p.Errors)))
				walk(p.FirstChild)
			}
		}
		walk(env.Root)
		return nil
	})
}
