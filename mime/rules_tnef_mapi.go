package mime

import "fmt"

// MAPI property lists inside TNEF attributes (MS-OXTNEF 2.1.3.4): the
// message properties (attMsgProps 0x00069003), each attachment's
// properties (attAttachment 0x00069005) and the recipient table
// (attRecipTable 0x00069004, a row count and one list per row). The
// TNEF decoding bugs of MS06-003 and MS09-003 sit here: a count or a value
// length that runs past the attribute makes a decoder read or allocate
// beyond its buffer. The parser streams through the attribute's data with
// the checksum; it keeps four bytes at a time, never a value.
//
// Layout of a list: count (4 bytes), then per property: tag (4 bytes, type
// in the low word, ID in the high word); for a named property (ID >=
// 0x8000) a GUID (16), a kind (4: 0 MNID_ID then 4 bytes, 1 MNID_STRING
// then a length and that many bytes padded to 4); then the value: fixed
// types in their size padded to 4; variable types (string, binary,
// object) and multi-valued types as a value count followed by the values,
// each variable one as a length and data padded to 4.
//
// Only overruns are reported. A property type the parser does not know
// ends validation of that attribute silently, so that a valid stream with
// an unusual type is never flagged.

// TNEF attributes holding MAPI property lists.
const (
	attMsgProps   = 0x00069003
	attRecipTable = 0x00069004
	attAttachment = 0x00069005
)

// mapi parser states: reading a 4-byte field, or skipping bytes.
const (
	mapiDone = iota
	mapiRows
	mapiCount
	mapiTag
	mapiKind
	mapiNameLen
	mapiValCount
	mapiValLen
	mapiSkip
)

// What comes after a skip.
const (
	afterGUID = iota
	afterNameID
	afterValue // one value of a variable-size property
	afterProp
)

type mapiParser struct {
	st      int
	after   int
	skip    uint64
	buf     [4]byte
	bn      int
	rows    uint32 // property lists still to read, this one included
	props   uint32 // properties left in the current list, this one included
	vals    uint32 // values left in the current property
	typ     uint16
	tag     uint32
	tagOff  int64
	tagLine int
	tagSeen bool
}

// mapiFixedSize returns the size in the stream of a single value of a
// fixed-size property type, 0 when the type is not fixed-size.
func mapiFixedSize(t uint16) uint64 {
	switch t {
	case 0x0002, 0x0003, 0x0004, 0x000a, 0x000b: // Int16, Int32, Float32, ErrorCode, Boolean (padded to 4)
		return 4
	case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040: // Float64, Currency, FloatingTime, Int64, Time
		return 8
	case 0x0048: // GUID
		return 16
	}
	return 0
}

// mapiFixedMultiSize is the size of one value in a multi-valued fixed
// property; 0 where the specification leaves the width in doubt (Int16 and
// Boolean), and validation stops.
func mapiFixedMultiSize(t uint16) uint64 {
	switch t {
	case 0x0003, 0x0004:
		return 4
	case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040:
		return 8
	case 0x0048:
		return 16
	}
	return 0
}

func mapiVariable(t uint16) bool {
	return t == 0x001e || t == 0x001f || t == 0x0102 || t == 0x000d // String8, Unicode, Binary, Object
}

func pad4(n uint64) uint64 { return (n + 3) &^ 3 }

// startMAPI arms the parser if the current attribute holds property lists.
func (c *tnefChecker) startMAPI() {
	c.mapi = mapiParser{}
	switch c.id {
	case attMsgProps, attAttachment:
		c.mapi.st, c.mapi.rows = mapiCount, 1
	case attRecipTable:
		c.mapi.st = mapiRows
	}
}

// feedMAPI parses b, attribute data whose first byte has left bytes of the
// attribute from it on (b[0] included); at(j) maps b[j] to the file.
// It returns false after reporting an overrun.
func (c *tnefChecker) feedMAPI(b []byte, m *srcMap, base int, left uint32) bool {
	x := &c.mapi
	i := 0
	for i < len(b) && x.st != mapiDone {
		if x.st == mapiSkip {
			n := uint64(len(b) - i)
			if n > x.skip {
				n = x.skip
			}
			x.skip -= n
			i += int(n)
			if x.skip == 0 && !c.mapiAfter(uint64(left)-uint64(i)) {
				return false
			}
			continue
		}
		if x.bn == 0 && x.st == mapiTag {
			x.tagOff, x.tagLine = m.at(base + i)
			x.tagSeen = true
		}
		x.buf[x.bn] = b[i]
		x.bn++
		i++
		if x.bn == 4 {
			x.bn = 0
			if !c.mapiField(le32(x.buf[:]), uint64(left)-uint64(i)) {
				return false
			}
		}
	}
	return true
}

// overrun reports a count or length that needs more than the rest of the
// attribute, at the property it belongs to (or the attribute, before the
// first property).
func (c *tnefChecker) overrun(what string, need, rem uint64) bool {
	x := &c.mapi
	off, line := c.attrOff, c.attrLine
	prop := ""
	if x.tagSeen && x.st != mapiCount && x.st != mapiRows {
		off, line = x.tagOff, x.tagLine
		prop = fmt.Sprintf("property 0x%08x ", x.tag)
	}
	c.fail(off, line, fmt.Sprintf("TNEF attribute 0x%08x: MAPI %s%s runs past the attribute (%d bytes needed, %d left; the MS06-003/MS09-003 overrun pattern)",
		c.id, prop, what, need, rem), x.buf[:])
	return false
}

// skipThen skips n bytes (checked against rem) and continues with after.
func (c *tnefChecker) skipThen(what string, n, rem uint64, after int) bool {
	x := &c.mapi
	if n > rem {
		return c.overrun(what, n, rem)
	}
	x.after = after
	if n == 0 {
		return c.mapiAfter(rem)
	}
	x.st, x.skip = mapiSkip, n
	return true
}

// mapiField handles one 4-byte field v; rem bytes of the attribute follow it.
func (c *tnefChecker) mapiField(v uint32, rem uint64) bool {
	x := &c.mapi
	switch x.st {
	case mapiRows:
		x.rows = v
		if v == 0 {
			x.st = mapiDone
			return true
		}
		if uint64(v)*4 > rem {
			return c.overrun(fmt.Sprintf("recipient table of %d rows", v), uint64(v)*4, rem)
		}
		x.st = mapiCount
	case mapiCount:
		x.props = v
		if v == 0 {
			return c.endList()
		}
		if uint64(v)*4 > rem { // at least a tag each
			return c.overrun(fmt.Sprintf("list of %d properties", v), uint64(v)*4, rem)
		}
		x.st = mapiTag
	case mapiTag:
		x.tag, x.typ = v, uint16(v)
		if v>>16 >= 0x8000 {
			return c.skipThen("named-property GUID", 16, rem, afterGUID)
		}
		return c.startValue(rem)
	case mapiKind:
		switch v {
		case 0:
			return c.skipThen("named-property ID", 4, rem, afterNameID)
		case 1:
			x.st = mapiNameLen
		default:
			c.fail(x.tagOff, x.tagLine, fmt.Sprintf("TNEF attribute 0x%08x, MAPI property 0x%08x: named-property kind %d (want 0 or 1)", c.id, x.tag, v), x.buf[:])
			return false
		}
	case mapiNameLen:
		return c.skipThen(fmt.Sprintf("property name of %d bytes", v), pad4(uint64(v)), rem, afterNameID)
	case mapiValCount:
		x.vals = v
		t := x.typ &^ 0x3000
		if x.typ&0x1000 != 0 && !mapiVariable(t) {
			size := mapiFixedMultiSize(t)
			if size == 0 {
				x.st = mapiDone
				return true
			}
			return c.skipThen(fmt.Sprintf("%d values", v), uint64(v)*size, rem, afterProp)
		}
		if v == 0 {
			return c.endProp()
		}
		if uint64(v)*4 > rem {
			return c.overrun(fmt.Sprintf("%d values", v), uint64(v)*4, rem)
		}
		x.st = mapiValLen
	case mapiValLen:
		return c.skipThen(fmt.Sprintf("value of %d bytes", v), pad4(uint64(v)), rem, afterValue)
	}
	return true
}

// mapiAfter continues once a skip has ended; rem bytes of the attribute follow.
func (c *tnefChecker) mapiAfter(rem uint64) bool {
	x := &c.mapi
	switch x.after {
	case afterGUID:
		x.st = mapiKind
	case afterNameID:
		return c.startValue(rem)
	case afterValue:
		x.vals--
		if x.vals > 0 {
			x.st = mapiValLen
			return true
		}
		return c.endProp()
	case afterProp:
		return c.endProp()
	}
	return true
}

// startValue begins the value of the property whose tag (and name) was read.
func (c *tnefChecker) startValue(rem uint64) bool {
	x := &c.mapi
	t := x.typ &^ 0x3000
	if x.typ&0x1000 != 0 || mapiVariable(t) {
		x.st = mapiValCount
		return true
	}
	if size := mapiFixedSize(t); size > 0 {
		return c.skipThen("fixed-size value", size, rem, afterProp)
	}
	x.st = mapiDone // a type this parser does not know: stop, do not guess
	return true
}

func (c *tnefChecker) endProp() bool {
	x := &c.mapi
	x.props--
	if x.props > 0 {
		x.st = mapiTag
		return true
	}
	return c.endList()
}

func (c *tnefChecker) endList() bool {
	x := &c.mapi
	x.rows--
	if x.rows > 0 {
		x.st = mapiCount
	} else {
		x.st = mapiDone
	}
	return true
}

// endMAPI runs when the attribute's data has ended: a list still open ran
// past the attribute.
func (c *tnefChecker) endMAPI() bool {
	x := &c.mapi
	if x.st == mapiDone {
		return true
	}
	x.tagSeen = false // the evidence is the count that promised more
	return c.overrun("property list (cut off: more properties or rows declared than present)", 4, 0)
}
