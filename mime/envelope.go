package mime

import (
	"bytes"
	"strings"
)

// maxEnvRecipients caps the envelope recipients kept in the report; more
// x-receiver lines are still checked and counted (envState.nReceiver).
const maxEnvRecipients = 100000

// envState reads the SMTP envelope a file carries, field by field, from the
// top-level header block:
//   - pickup files (IIS / Exchange 2000-2003 PickUp, and Drop files) start
//     with "x-sender: <addr>" and then one "x-receiver: <addr>" per
//     recipient, before the ordinary headers;
//   - Exchange 2007+ Replay (and Pickup) files carry X-Sender / X-Receiver
//     headers, with ESMTP parameters after the address
//     ("X-Sender: <bob@example.com> BODY=7bit RET=HDRS ENVID=abc").
//
// Names match case-insensitively. In the pickup, drop, exchange-pickup and
// replay folders any such field counts; elsewhere (generic, queue, badmail,
// where X-Sender is also an ordinary header some clients write) only when
// the header block starts with one.
type envState struct {
	active      bool
	format      string
	sender      string
	senderSet   bool
	recipients  []string
	params      map[string]string
	nSender     int
	nReceiver   int
	nfield      int
	sawOrdinary bool
	sawOrdOff   int64
	firstRecv   *fieldPos
	overRecv    *envOver // the first x-receiver past Limits.Recipients
}

// envOver is where the envelope first passes the recipient limit.
type envOver struct {
	fieldPos
	evidence []byte
}

type fieldPos struct {
	off  int64
	line int
}

// envelopeFolder reports whether files of the folder carry envelope lines.
func envelopeFolder(f Folder) bool {
	switch f {
	case FolderPickup, FolderDrop, FolderExchangePickup, FolderReplay:
		return true
	}
	return false
}

// replayXHeaders are the X- headers of the Replay envelope block.
var replayXHeaders = [...]string{"x-sender", "x-receiver", "x-createdby", "x-helodomain", "x-source",
	"x-sourceipaddress", "x-endofinjectedxheaders", "x-extendedmessageprops", "x-creationdate"}

// IsReplayXHeader reports whether name (any case, without the colon) is
// one of the X- headers of the Exchange Replay envelope block, which also
// holds the pickup x-sender / x-receiver lines.
func IsReplayXHeader(name string) bool {
	for _, n := range replayXHeaders {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

func isReplayXHeader(f *field) bool {
	for _, n := range replayXHeaders {
		if f.is(n) {
			return true
		}
	}
	return false
}

// field looks at one completed top-level field.
func (st *envState) field(s *scanner, f *field) {
	st.nfield++
	isS, isR := f.is("x-sender"), f.is("x-receiver")
	if !isS && !isR {
		if s.opts.Folder == FolderReplay {
			s.replayField(st, f)
		}
		if !isReplayXHeader(f) && !st.sawOrdinary {
			st.sawOrdinary = true
			st.sawOrdOff = f.offset
		}
		return
	}
	if !st.active {
		if !envelopeFolder(s.opts.Folder) && st.nfield != 1 {
			return
		}
		st.active = true
		switch s.opts.Folder {
		case FolderPickup:
			st.format = "pickup"
		case FolderDrop, FolderExchangePickup, FolderReplay:
			st.format = "replay"
		default:
			st.format = "replay"
			if st.nfield == 1 && (bytes.Equal(f.name, []byte("x-sender")) || bytes.Equal(f.name, []byte("x-receiver"))) {
				st.format = "pickup"
			}
		}
	}
	addr, params, n := parseEnvLine(f.unfolded())
	if isS {
		st.nSender++
		if !st.senderSet {
			st.senderSet = true
			st.sender = displayText([]byte(addr), displayMax)
			if params != "" {
				st.setParam("", params)
			}
		}
	} else {
		st.nReceiver++
		if len(st.recipients) < maxEnvRecipients && addr != "" {
			a := displayText([]byte(addr), displayMax)
			st.recipients = append(st.recipients, a)
			if params != "" {
				st.setParam(a, params)
			}
		}
		if st.firstRecv == nil {
			st.firstRecv = &fieldPos{f.offset, f.line}
		}
		if st.nReceiver == s.lim.Recipients+1 {
			st.overRecv = &envOver{fieldPos{f.offset, f.line}, fieldEvidence(f)}
		}
	}
	s.envLineRules(st, f, isS, addr, params, n)
}

func (st *envState) setParam(key, params string) {
	if st.params == nil {
		st.params = make(map[string]string)
	}
	if _, ok := st.params[key]; !ok && len(st.params) < maxEnvRecipients {
		st.params[key] = displayText([]byte(params), displayMax)
	}
}

// result is the Report.Envelope, nil when the file carries none.
func (st *envState) result() *Envelope {
	if !st.active {
		return nil
	}
	env := &Envelope{Format: st.format, Sender: st.sender, Recipients: st.recipients, Params: st.params}
	if env.Recipients == nil {
		env.Recipients = []string{}
	}
	return env
}

// ParseEnvelopeLine splits the value of an x-sender / x-receiver line (or
// X-Sender / X-Receiver header, unfolded) the way the scanner reads it:
// see parseEnvLine. The address is as written, not escaped.
func ParseEnvelopeLine(value string) (addr, params string, addresses int) {
	return parseEnvLine([]byte(value))
}

// parseEnvLine splits an envelope line value into its address (angle
// brackets removed), its ESMTP parameters (KEY=VALUE words after the
// address) and the number of addresses it holds (0 for an empty line; more
// than 1 when several are listed).
func parseEnvLine(v []byte) (addr, params string, n int) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", "", 0
	}
	var rest []byte
	if v[0] == '<' {
		end := bytes.IndexByte(v, '>')
		if end < 0 {
			end = len(v) - 1
			addr, rest = string(v[1:]), nil
		} else {
			addr, rest = string(v[1:end]), v[end+1:]
		}
	} else {
		end := bytes.IndexAny(v, " \t")
		if end < 0 {
			end = len(v)
		}
		addr, rest = string(v[:end]), v[end:]
	}
	addr = strings.TrimSpace(addr)
	if addr != "" {
		n = 1
	}
	// Several addresses in the address itself: "a@b, c@d" or "a@b;c@d".
	if strings.ContainsAny(addr, ",;") {
		elems, k := splitAddressList([]byte(addr), 1)
		n = k
		if len(elems) > 0 {
			addr = addrSpec(elems[0])
		}
	}
	// Words are split on white space; a comma inside a word either
	// separates further addresses ("<a@b>,<c@d>") or belongs to a value
	// (RFC 3461 "NOTIFY=FAILURE,DELAY").
	var ps []string
	for _, w := range bytes.Fields(rest) {
		joined := false // ps's last entry began in this word
		for _, piece := range bytes.Split(w, []byte(",")) {
			switch {
			case len(piece) == 0:
			case bytes.IndexByte(piece, '=') > 0:
				ps, joined = append(ps, string(piece)), true
			case bytes.IndexByte(piece, '@') >= 0 || piece[0] == '<':
				n++
			case joined:
				ps[len(ps)-1] += "," + string(piece)
			default:
				ps, joined = append(ps, string(piece)), true
			}
		}
	}
	return addr, strings.Join(ps, " "), n
}
