package queue

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// BDR is what a BadMail .BDR file says: why the message went to BadMail.
type BDR struct {
	// Text is the reason, decoded to UTF-8 and trimmed. NUL characters are
	// removed; line breaks are kept.
	Text string
	// Codes lists the hexadecimal error codes in the text ("0xC00402CE"),
	// in order of first appearance, without duplicates, at most maxBDRCodes.
	Codes []ErrorCode
}

// ErrorCode is one error code quoted in a .BDR.
type ErrorCode struct {
	// Code is the code as written in BDR.Text, e.g. "0xC00402CE".
	Code  string
	Value uint32
	// Meaning and Reference are set for codes in the known table, "" otherwise.
	Meaning   string
	Reference string
}

// MaxBDRBytes is how much of a .BDR Walk reads: reasons are a line or two.
const MaxBDRBytes = 64 << 10

const maxBDRCodes = 16

// knownCodes are the BadMail error codes whose meaning is documented.
// Sources: ../shared/FORMATS.md and the text IIS writes beside the code.
var knownCodes = map[uint32]ErrorCode{
	0xC00402CE: {
		Meaning:   "no sender: the message has no From line (and no x-sender), so the pickup service cannot build the envelope",
		Reference: "KB 319285",
	},
	0xC00402C7: {
		Meaning:   "a delivery status notification (NDR) that cannot itself be delivered, usually because its recipient, the original sender, is empty or invalid",
		Reference: "IIS SMTP BadMail reason text; KB 267859",
	},
}

// KnownErrorCode returns the meaning of a BadMail error code, if known.
func KnownErrorCode(v uint32) (ErrorCode, bool) {
	c, ok := knownCodes[v]
	c.Value = v
	return c, ok
}

// ParseBDR decodes a .BDR file and extracts its error codes. It accepts
// UTF-16LE or UTF-16BE with a byte order mark, UTF-16LE without one (many
// NUL high bytes), UTF-8 (with or without BOM), and otherwise treats the
// bytes as Windows-1252 ("ANSI"). It never fails: any input gives some
// text.
func ParseBDR(b []byte) BDR {
	text := decodeBDR(b)
	// Codes are found before NULs are removed, so that NULs cannot join
	// two fragments into a code that the file does not contain. A code has
	// no NUL in it, so it stays a substring of the cleaned text.
	codes := findCodes(text)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\x00", ""))
	return BDR{Text: text, Codes: codes}
}

func decodeBDR(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b[2:], false)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b[2:], true)
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	case looksUTF16LE(b):
		return decodeUTF16(b, false)
	case utf8.Valid(b):
		return string(b)
	}
	return decodeCP1252(b)
}

// looksUTF16LE guesses UTF-16LE text without a BOM: mostly ASCII text
// where every second byte is NUL.
func looksUTF16LE(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	pairs, hits := len(b)/2, 0
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] != 0 && b[i+1] == 0 {
			hits++
		}
	}
	return hits*4 >= pairs*3
}

func decodeUTF16(b []byte, bigEndian bool) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	return string(utf16.Decode(u))
}

// cp1252 maps 0x80-0x9F; 0xA0-0xFF are the same as Latin-1. Undefined
// positions map to U+FFFD.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func decodeCP1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0:
			sb.WriteRune(cp1252[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// findCodes finds "0x" followed by exactly eight hex digits, not part of a
// longer word or number.
func findCodes(text string) []ErrorCode {
	var out []ErrorCode
	seen := map[uint32]bool{}
	for i := 0; i+10 <= len(text) && len(out) < maxBDRCodes; i++ {
		if text[i] != '0' || (text[i+1] != 'x' && text[i+1] != 'X') {
			continue
		}
		if i > 0 && isWordByte(text[i-1]) {
			continue
		}
		var v uint32
		ok := true
		for j := i + 2; j < i+10; j++ {
			d, isHex := hexVal(text[j])
			if !isHex {
				ok = false
				break
			}
			v = v<<4 | uint32(d)
		}
		if !ok || (i+10 < len(text) && isWordByte(text[i+10])) {
			continue
		}
		if !seen[v] {
			seen[v] = true
			c, _ := KnownErrorCode(v)
			c.Code = text[i : i+10]
			out = append(out, c)
		}
		i += 9
	}
	return out
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
