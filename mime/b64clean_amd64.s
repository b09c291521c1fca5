//go:build !purego

#include "textflag.h"

// Bounds of the byte classes b64CleanPrefix accepts, one per byte lane:
// 'A'-'Z', 'a'-'z' and '/'-'9' as exclusive bounds for signed compares
// (a byte of 0x80 or more is negative and fails every one), then '+', CR
// and LF for equality.
DATA lowerA<>+0(SB)/8, $0x4040404040404040
DATA lowerA<>+8(SB)/8, $0x4040404040404040
GLOBL lowerA<>(SB), RODATA|NOPTR, $16
DATA upperA<>+0(SB)/8, $0x5b5b5b5b5b5b5b5b
DATA upperA<>+8(SB)/8, $0x5b5b5b5b5b5b5b5b
GLOBL upperA<>(SB), RODATA|NOPTR, $16
DATA lowera<>+0(SB)/8, $0x6060606060606060
DATA lowera<>+8(SB)/8, $0x6060606060606060
GLOBL lowera<>(SB), RODATA|NOPTR, $16
DATA uppera<>+0(SB)/8, $0x7b7b7b7b7b7b7b7b
DATA uppera<>+8(SB)/8, $0x7b7b7b7b7b7b7b7b
GLOBL uppera<>(SB), RODATA|NOPTR, $16
DATA lowerDigit<>+0(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA lowerDigit<>+8(SB)/8, $0x2e2e2e2e2e2e2e2e
GLOBL lowerDigit<>(SB), RODATA|NOPTR, $16
DATA upperDigit<>+0(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA upperDigit<>+8(SB)/8, $0x3a3a3a3a3a3a3a3a
GLOBL upperDigit<>(SB), RODATA|NOPTR, $16
DATA plus<>+0(SB)/8, $0x2b2b2b2b2b2b2b2b
DATA plus<>+8(SB)/8, $0x2b2b2b2b2b2b2b2b
GLOBL plus<>(SB), RODATA|NOPTR, $16
DATA cr<>+0(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA cr<>+8(SB)/8, $0x0d0d0d0d0d0d0d0d
GLOBL cr<>(SB), RODATA|NOPTR, $16
DATA lf<>+0(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lf<>+8(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL lf<>(SB), RODATA|NOPTR, $16

// func b64CleanPrefixSSE2(b []byte) int
//
// SSE2 only (every amd64 has it): 16 bytes per step, each compared with
// the class bounds; PMOVMSKB gathers one bit per byte.
TEXT ·b64CleanPrefixSSE2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	SHRQ $4, CX
	XORQ DX, DX
	MOVOU lowerA<>(SB), X6
	MOVOU upperA<>(SB), X7
	MOVOU lowera<>(SB), X8
	MOVOU uppera<>(SB), X9
	MOVOU lowerDigit<>(SB), X10
	MOVOU upperDigit<>(SB), X11
	MOVOU plus<>(SB), X12
	MOVOU cr<>(SB), X13
	MOVOU lf<>(SB), X14
	TESTQ CX, CX
	JZ done

loop:
	MOVOU (SI)(DX*1), X0

	// 'A'-'Z'
	MOVO    X0, X1
	PCMPGTB X6, X1
	MOVO    X7, X2
	PCMPGTB X0, X2
	PAND    X2, X1

	// 'a'-'z'
	MOVO    X0, X3
	PCMPGTB X8, X3
	MOVO    X9, X2
	PCMPGTB X0, X2
	PAND    X2, X3
	POR     X3, X1

	// '/'-'9'
	MOVO    X0, X3
	PCMPGTB X10, X3
	MOVO    X11, X2
	PCMPGTB X0, X2
	PAND    X2, X3
	POR     X3, X1

	// '+', CR, LF
	MOVO    X0, X3
	PCMPEQB X12, X3
	POR     X3, X1
	MOVO    X0, X3
	PCMPEQB X13, X3
	POR     X3, X1
	PCMPEQB X14, X0
	POR     X0, X1

	PMOVMSKB X1, AX
	CMPL     AX, $0xffff
	JNE      done
	ADDQ     $16, DX
	DECQ     CX
	JNZ      loop

done:
	MOVQ DX, ret+24(FP)
	RET

// func b64CleanPrefixAVX2(b []byte) int
//
// The same tests as b64CleanPrefix, 32 bytes per step; a multiple of 32.
TEXT ·b64CleanPrefixAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	SHRQ $5, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ avxret
	VPBROADCASTB lowerA<>(SB), Y6
	VPBROADCASTB upperA<>(SB), Y7
	VPBROADCASTB lowera<>(SB), Y8
	VPBROADCASTB uppera<>(SB), Y9
	VPBROADCASTB lowerDigit<>(SB), Y10
	VPBROADCASTB upperDigit<>(SB), Y11
	VPBROADCASTB plus<>(SB), Y12
	VPBROADCASTB cr<>(SB), Y13
	VPBROADCASTB lf<>(SB), Y14

avxloop:
	VMOVDQU (SI)(DX*1), Y0

	// 'A'-'Z'
	VPCMPGTB Y6, Y0, Y1
	VPCMPGTB Y0, Y7, Y2
	VPAND    Y2, Y1, Y1

	// 'a'-'z'
	VPCMPGTB Y8, Y0, Y3
	VPCMPGTB Y0, Y9, Y2
	VPAND    Y2, Y3, Y3
	VPOR     Y3, Y1, Y1

	// '/'-'9'
	VPCMPGTB Y10, Y0, Y3
	VPCMPGTB Y0, Y11, Y2
	VPAND    Y2, Y3, Y3
	VPOR     Y3, Y1, Y1

	// '+', CR, LF
	VPCMPEQB Y12, Y0, Y3
	VPOR     Y3, Y1, Y1
	VPCMPEQB Y13, Y0, Y3
	VPOR     Y3, Y1, Y1
	VPCMPEQB Y14, Y0, Y3
	VPOR     Y3, Y1, Y1

	VPMOVMSKB Y1, AX
	CMPL      AX, $0xffffffff
	JNE       avxdone
	ADDQ      $32, DX
	DECQ      CX
	JNZ       avxloop

avxdone:
	VZEROUPPER

avxret:
	MOVQ DX, ret+24(FP)
	RET

// func countLineEndsAVX2(b []byte) int
//
// The number of CR and LF bytes in b's whole 32-byte chunks, one pass
// instead of two byte counts. Needs AVX2 and POPCNT.
TEXT ·countLineEndsAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	SHRQ $5, CX
	XORQ DX, DX
	TESTQ CX, CX
	JZ cntret
	VPBROADCASTB cr<>(SB), Y13
	VPBROADCASTB lf<>(SB), Y14

cntloop:
	VMOVDQU   (SI), Y0
	VPCMPEQB  Y13, Y0, Y1
	VPCMPEQB  Y14, Y0, Y2
	VPOR      Y2, Y1, Y1
	VPMOVMSKB Y1, AX
	POPCNTL   AX, AX
	ADDQ      AX, DX
	ADDQ      $32, SI
	DECQ      CX
	JNZ       cntloop
	VZEROUPPER

cntret:
	MOVQ DX, ret+24(FP)
	RET
