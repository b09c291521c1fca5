package mime

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// Benchmarks of Scan (go test -bench Scan -benchmem ./mime). Each reports
// MB/s through b.SetBytes and allocations through b.ReportAllocs.

func benchScan(b *testing.B, data []byte) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	for b.Loop() {
		r.Reset(data)
		if _, err := Scan(r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func readAll(b *testing.B, r io.Reader) []byte {
	data, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkScanSmallText(b *testing.B) {
	msg := "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby relay.example.net with ESMTP id 12345\r\n\tfor <bob@example.net>; Mon, 2 Jan 2006 15:04:05 -0700\r\n" +
		"From: Alice Example <alice@example.com>\r\nTo: Bob Example <bob@example.net>, carol@example.net\r\n" +
		"Date: Mon, 2 Jan 2006 15:04:05 -0700\r\nMessage-ID: <20060102150405.1234@example.com>\r\n" +
		"Subject: =?utf-8?q?Quarterly_r=C3=A9port?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n"
	for i := 0; i < 40; i++ {
		msg += fmt.Sprintf("Line %d of an ordinary plain text body, the kind most mail is made of.\r\n", i)
	}
	benchScan(b, []byte(msg))
}

func BenchmarkScanBase64Attachment5MB(b *testing.B) {
	benchScan(b, readAll(b, bigMessage(5<<20)))
}

func BenchmarkScanNested(b *testing.B) {
	// 60 levels of multipart (past the MP-006 limit, under the hard stop),
	// each with a small text part.
	var sb bytes.Buffer
	sb.WriteString(hostileHeader + "Content-Type: multipart/mixed; boundary=\"n0\"\r\n\r\n")
	const depth = 60
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&sb, "--n%d\r\nContent-Type: text/plain\r\n\r\ntext at level %d\r\n", i, i)
		fmt.Fprintf(&sb, "--n%d\r\nContent-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&sb, "--n%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--n%d--\r\n", depth, depth)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&sb, "--n%d--\r\n", i)
	}
	benchScan(b, sb.Bytes())
}

// BenchmarkScan1GiB streams a generated 1 GiB message through Scan and
// reports the peak heap in use (metric peak-heap-MiB); run it with
// -bench Scan1GiB -benchtime 1x.
func BenchmarkScan1GiB(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		h := newHeapWatch(bigMessage(1<<30), 16<<20)
		if _, err := Scan(h, Options{}); err != nil {
			b.Fatal(err)
		}
		h.take()
		b.SetBytes(h.n)
		b.ReportMetric(float64(h.peak)/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkScanLongLines: every line is over the STR-004 limit; past the
// per-rule cap the scan must not allocate per line.
func BenchmarkScanLongLines(b *testing.B) {
	benchScan(b, readAll(b, io.MultiReader(str("From: a@b\r\n\r\n"), rep(string(bytes.Repeat([]byte("x"), 1200))+"\r\n", 1202*2000))))
}

// BenchmarkScanBareCR: a megabyte of bare CR line endings (a million
// lines), the worst case for line splitting.
func BenchmarkScanBareCR(b *testing.B) {
	benchScan(b, bytes.Repeat([]byte("\r"), 1<<20))
}
