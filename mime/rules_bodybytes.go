package mime

import "bytes"

// STR-006, body half: a NUL byte in the body of a part whose
// Content-Transfer-Encoding is not binary. RFC 2045 2.7-2.8 forbid NUL in
// 7bit and 8bit data (and base64 and quoted-printable are 7bit); sendmail
// and Exchange (KB 287888) mishandle it. The header half of the rule is
// checked with the header fields.

func init() {
	bodyCheckerFactories = append(bodyCheckerFactories, newBodyNULChecker)
}

// bodyNULChecker reports the first NUL of the part's body, once per part.
type bodyNULChecker struct {
	p    *part
	done bool
}

func newBodyNULChecker(p *part) bodyChecker {
	if p.encoding == "binary" || !p.rep.enabled("STR-006") {
		return nil
	}
	return &bodyNULChecker{p: p}
}

func (c *bodyNULChecker) write(data []byte, off int64, line int, _ []byte) {
	if c.done {
		return
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		c.done = true
		enc := c.p.encoding
		if enc == "" {
			enc = "7bit (default)"
		}
		c.p.report("STR-006", off+int64(i), line, "NUL byte in a body part declared "+enc+", not binary", data[i:])
	}
}

func (c *bodyNULChecker) writeLines(block []byte, off int64, line, _, _ int) {
	if c.done {
		return
	}
	if i := bytes.IndexByte(block, 0); i >= 0 {
		line = lineAfter(block, i, line)
		c.p.rep.at = line
		c.write(lineRest(block, i), off+int64(i), line, nil)
	}
}

func (c *bodyNULChecker) end(int64, int) {}
