/* arm64 relocations of the purgatory object (ELF for the Arm 64-bit Architecture, "AAELF64"). */
#include <elf.h>
#include <inttypes.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"

const char *ldr_arm64_reloc_name(unsigned type)
{
	switch (type) {
	case R_AARCH64_NONE: return "R_AARCH64_NONE";
	case R_AARCH64_ABS64: return "R_AARCH64_ABS64";
	case R_AARCH64_ABS32: return "R_AARCH64_ABS32";
	case R_AARCH64_PREL64: return "R_AARCH64_PREL64";
	case R_AARCH64_PREL32: return "R_AARCH64_PREL32";
	case R_AARCH64_ADR_PREL_LO21: return "R_AARCH64_ADR_PREL_LO21";
	case R_AARCH64_ADR_PREL_PG_HI21: return "R_AARCH64_ADR_PREL_PG_HI21";
	case R_AARCH64_ADR_PREL_PG_HI21_NC: return "R_AARCH64_ADR_PREL_PG_HI21_NC";
	case R_AARCH64_ADD_ABS_LO12_NC: return "R_AARCH64_ADD_ABS_LO12_NC";
	case R_AARCH64_LDST8_ABS_LO12_NC: return "R_AARCH64_LDST8_ABS_LO12_NC";
	case R_AARCH64_LDST16_ABS_LO12_NC: return "R_AARCH64_LDST16_ABS_LO12_NC";
	case R_AARCH64_LDST32_ABS_LO12_NC: return "R_AARCH64_LDST32_ABS_LO12_NC";
	case R_AARCH64_LDST64_ABS_LO12_NC: return "R_AARCH64_LDST64_ABS_LO12_NC";
	case R_AARCH64_LDST128_ABS_LO12_NC: return "R_AARCH64_LDST128_ABS_LO12_NC";
	case R_AARCH64_TSTBR14: return "R_AARCH64_TSTBR14";
	case R_AARCH64_CONDBR19: return "R_AARCH64_CONDBR19";
	case R_AARCH64_JUMP26: return "R_AARCH64_JUMP26";
	case R_AARCH64_CALL26: return "R_AARCH64_CALL26";
	default: return "unknown";
	}
}

/* Does the signed value @v fit in @bits bits? */
static bool fits_signed(int64_t v, unsigned bits)
{
	return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
}

/* Insert @v (already shifted) into the instruction field [@lsb, @lsb + @bits). */
static void insn_field(uint8_t *loc, uint64_t v, unsigned lsb, unsigned bits)
{
	uint32_t mask = (uint32_t)(((UINT64_C(1) << bits) - 1) << lsb);
	uint32_t insn = get_le32(loc);

	put_le32(loc, (insn & ~mask) | ((uint32_t)(v << lsb) & mask));
}

/* ADR/ADRP immediate: immlo in bits 29-30, immhi in bits 5-23. */
static void insn_adr(uint8_t *loc, uint64_t imm)
{
	insn_field(loc, imm & 3, 29, 2);
	insn_field(loc, (imm >> 2) & 0x7ffff, 5, 19);
}

enum kd_status ldr_arm64_reloc_apply(uint8_t *loc, uint64_t room, uint64_t pc, uint64_t sa,
				     unsigned type, struct kd_err *err)
{
	int64_t rel = (int64_t)(sa - pc);
	unsigned shift = 0;

	if (room < (type == R_AARCH64_ABS64 || type == R_AARCH64_PREL64 ? 8u : 4u))
		return kd_err_set(err, KD_ERR_CORRUPT, "%s runs past its section",
				  ldr_arm64_reloc_name(type));
	switch (type) {
	case R_AARCH64_NONE:
		return KD_OK;
	case R_AARCH64_ABS64:
		put_le64(loc, sa);
		return KD_OK;
	case R_AARCH64_PREL64:
		put_le64(loc, (uint64_t)rel);
		return KD_OK;
	case R_AARCH64_ABS32:
		if ((int64_t)sa < INT32_MIN || sa > UINT32_MAX)
			goto overflow;
		put_le32(loc, (uint32_t)sa);
		return KD_OK;
	case R_AARCH64_PREL32:
		if (rel < INT32_MIN || rel > (int64_t)UINT32_MAX)
			goto overflow;
		put_le32(loc, (uint32_t)rel);
		return KD_OK;
	case R_AARCH64_ADR_PREL_LO21:
		if (!fits_signed(rel, 21))
			goto overflow;
		insn_adr(loc, (uint64_t)rel);
		return KD_OK;
	case R_AARCH64_ADR_PREL_PG_HI21:
	case R_AARCH64_ADR_PREL_PG_HI21_NC:
		rel = (int64_t)((sa & ~UINT64_C(0xfff)) - (pc & ~UINT64_C(0xfff))) >> 12;
		if (type == R_AARCH64_ADR_PREL_PG_HI21 && !fits_signed(rel, 21))
			goto overflow;
		insn_adr(loc, (uint64_t)rel);
		return KD_OK;
	case R_AARCH64_LDST128_ABS_LO12_NC:
		shift++;
		/* fall through */
	case R_AARCH64_LDST64_ABS_LO12_NC:
		shift++;
		/* fall through */
	case R_AARCH64_LDST32_ABS_LO12_NC:
		shift++;
		/* fall through */
	case R_AARCH64_LDST16_ABS_LO12_NC:
		shift++;
		/* fall through */
	case R_AARCH64_LDST8_ABS_LO12_NC:
	case R_AARCH64_ADD_ABS_LO12_NC:
		if (sa & ((UINT64_C(1) << shift) - 1))
			return kd_err_set(err, KD_ERR_INVALID,
					  "%s: target 0x%" PRIx64 " is not %u-byte aligned",
					  ldr_arm64_reloc_name(type), sa, 1u << shift);
		insn_field(loc, (sa & 0xfff) >> shift, 10, 12);
		return KD_OK;
	case R_AARCH64_TSTBR14:
		if ((rel & 3) || !fits_signed(rel, 16))
			goto overflow;
		insn_field(loc, (uint64_t)rel >> 2, 5, 14);
		return KD_OK;
	case R_AARCH64_CONDBR19:
		if ((rel & 3) || !fits_signed(rel, 21))
			goto overflow;
		insn_field(loc, (uint64_t)rel >> 2, 5, 19);
		return KD_OK;
	case R_AARCH64_JUMP26:
	case R_AARCH64_CALL26:
		if ((rel & 3) || !fits_signed(rel, 28))
			goto overflow;
		insn_field(loc, (uint64_t)rel >> 2, 0, 26);
		return KD_OK;
	default:
		return kd_err_set(err, KD_ERR_NOTIMPL, "unhandled relocation type %u (%s)", type,
				  ldr_arm64_reloc_name(type));
	}
overflow:
	return kd_err_set(err, KD_ERR_INVALID, "%s overflows (value 0x%" PRIx64 ", place 0x%" PRIx64
			  ")", ldr_arm64_reloc_name(type), sa, pc);
}
