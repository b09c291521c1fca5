package mime

import (
	"slices"
	"testing"
)

// Fuzz targets for the body checkers. Beyond "no panic" each asserts the
// streaming invariant: cutting the body into arbitrary pieces yields the
// same findings as one piece per line, and every offset lies in the body.

func checkPieces(t *testing.T, mk func() *part, body, seed []byte, rules ...string) []Finding {
	t.Helper()
	const base = 50
	whole := scanBody(mk(), body, base, nil, rules...)
	cut := scanBody(mk(), body, base, cutsFromBytes(seed, len(body)), rules...)
	if a, b := findingKeys(whole), findingKeys(cut); !slices.Equal(a, b) {
		t.Fatalf("pieces change the findings:\nwhole %q\ncut   %q", a, b)
	}
	for _, f := range whole {
		if f.Offset < base || f.Offset > base+int64(len(body)) {
			t.Fatalf("offset %d outside the body [%d, %d]: %v", f.Offset, base, base+len(body), f)
		}
	}
	return whole
}

func FuzzBase64Checker(f *testing.F) {
	f.Add([]byte("QUJD\r\nREVG\r\nRA==\r\n"), []byte{1, 2, 3})
	f.Add([]byte("PGh0*bWw+Cg==\r\n"), []byte{4})
	f.Add([]byte("QQ==QUFB\r\nQUFBQ"), []byte{2, 9})
	f.Add([]byte("QUE==\r\n=\r\n"), []byte{0})
	f.Fuzz(func(t *testing.T, body, seed []byte) {
		mk := func() *part { return testPart("application/octet-stream", "base64", nil) }
		checkPieces(t, mk, body, seed, "ENC-001")
		mq := func() *part { return testPart("text/plain", "quoted-printable", nil) }
		checkPieces(t, mq, body, seed, "ENC-004")
		mu := func() *part { return testPart("text/plain", "x-uuencode", nil) }
		checkPieces(t, mu, body, seed, "ENC-002")
	})
}

func FuzzTNEF(f *testing.F) {
	good := buildTNEF(sampleTNEF())
	f.Add(good, []byte{3, 7}, byte(0))
	f.Add(good, []byte{1}, byte(1))
	f.Add(good[:20], []byte{5}, byte(2))
	bad := sampleTNEF()
	bad[2].sumDelta = 9
	f.Add(buildTNEF(bad), []byte{11, 1}, byte(0))
	f.Fuzz(func(t *testing.T, tnef, seed []byte, mode byte) {
		var body []byte
		enc := "binary"
		switch mode % 3 {
		case 0:
			enc, body = "base64", []byte(base64Lines(tnef))
		case 1:
			body = tnef
		case 2:
			enc, body = "quoted-printable", tnef // raw bytes read as QP: whatever it decodes to
		}
		mk := func() *part { return testPart("application/ms-tnef", enc, nil) }
		fs := checkPieces(t, mk, body, seed, "TNEF-001")
		if len(fs) != 1 {
			t.Fatalf("want exactly one TNEF-001 finding, got %v", fs)
		}
	})
}

func FuzzDBCS(f *testing.F) {
	f.Add([]byte("a\x82\xa0b\x82\r\nc"), byte(0), []byte{1})
	f.Add([]byte("\x1b$B$3$\x1b(B\r\n"), byte(5), []byte{2, 2})
	f.Add([]byte("\x81\x30\x81\x30\x81\x30"), byte(2), []byte{1, 1, 1})
	f.Add([]byte("\x1b$)C\x0e!!\x0f"), byte(6), []byte{3})
	charsets := []string{"shift_jis", "euc-jp", "gb18030", "big5", "euc-kr", "iso-2022-jp", "iso-2022-kr"}
	f.Fuzz(func(t *testing.T, data []byte, cs byte, seed []byte) {
		charset := charsets[int(cs)%len(charsets)]
		bad, problem := dbcsCheck(charset, data)
		if (bad < 0) != (problem == "") || bad >= len(data) {
			t.Fatalf("dbcsCheck = %d, %q for %d bytes", bad, problem, len(data))
		}
		// The identity-encoded body sees the same bytes: same verdict, same place.
		mk := func() *part { return testPart("text/plain", "8bit", map[string]string{"charset": charset}) }
		fs := checkPieces(t, mk, data, seed, "ENC-007")
		if (len(fs) == 1) != (bad >= 0) || len(fs) > 1 {
			t.Fatalf("body findings %v, dbcsCheck %d %q", fs, bad, problem)
		}
		if bad >= 0 && fs[0].Offset != 50+int64(bad) {
			t.Fatalf("body finding at %d, dbcsCheck at %d", fs[0].Offset-50, bad)
		}
		// Never stricter than a real decoder (see dbcs_xtext_test.go).
		for _, x := range xtextCharsets {
			if x.charset == charset && bad >= 0 && decodesCleanly(x.enc, data) {
				t.Fatalf("x/text decodes %q cleanly as %s, dbcsCheck flags %d: %s", data, charset, bad, problem)
			}
		}
		mb := func() *part { return testPart("text/plain", "base64", map[string]string{"charset": charset}) }
		checkPieces(t, mb, []byte(base64Lines(data)), seed, "ENC-007")
	})
}
