/*
 * rules_libxl.c: the rules of the xl save-file header (XL-*), the libxl
 * stream (LIBXL-*) and the libxl side of checkpointed streams (CKPT-2, 3,
 * 4, 9, 10), applied as headers and records are read (and written).
 */
#include "config.h"

#include <string.h>

#include "wire.h"
#include "rules.h"
#include "rules_libxc.h"
#include "rules_libxl.h"

void ms_libxl_init(struct ms_libxl *l)
{
	memset(l, 0, sizeof *l);
}

void ms_libxl_new_segment(struct ms_libxl *l)
{
	l->emu_n = 0;
}

/* ------------------------------------------------------------------ xl */

const uint8_t ms_xl_magic[MS_XL_MAGIC_SIZE] = "Xen saved domain, xl format\n \0 \r";

int ms_xl_header(struct ms_ctx *c, const uint8_t *h, uint64_t off, int *be)
{
	int rc = 0;
	if (memcmp(h, ms_xl_magic, MS_XL_MAGIC_SIZE) != 0)
		return ms_report(c, R_XL_1, off, "the first 32 octets are not the xl save-file magic");
	if (memcmp(h + 32, "\x04\x03\x02\x01", 4) == 0)
		*be = 0;
	else if (memcmp(h + 32, "\x01\x02\x03\x04", 4) == 0)
		*be = 1;
	else
		return ms_report(c, R_XL_2, off + 32,
		                 "byteorder octets are %02x %02x %02x %02x, expected 04 03 02 01 or 01 02 03 04",
		                 h[32], h[33], h[34], h[35]);
	if (*be)
		ms_report(c, R_XL_3, off + 32, "big-endian xl header (xl on x86 writes and accepts little-endian only)");
	uint32_t mand = ms_get32(h + 36, *be), opt = ms_get32(h + 40, *be);
	if (mand & ~(MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2))
		return ms_report(c, R_XL_4, off + 36, "mandatory flag(s) 0x%x are not known (known: 0x1 JSON, 0x2 STREAMv2)",
		                 mand & ~3u);
	if (opt)
		ms_report(c, R_XL_5, off + 40, "optional_flags are 0x%08x; no optional flags are defined", opt);
	uint32_t n = ms_get32(h + 44, *be);
	if (n != 0 && n < 4)
		rc = ms_report(c, R_XL_7, off + 44, "optional_data_len %u is not 0 and below 4", n);
	return rc;
}

int ms_xl_optional(struct ms_ctx *c, const uint8_t *h, int be, const uint8_t *opt, uint32_t n,
                   uint64_t off, struct ms_xl_config *cfg, size_t *config_len)
{
	uint32_t mand = ms_get32(h + 36, be);
	memset(cfg, 0, sizeof *cfg);
	*config_len = 0;
	if (n == 0) {
		ms_report(c, R_XL_11, off, "no domain configuration: restoring needs one from the user");
		return 0;
	}
	if (n < 4)
		return 0;    /* XL-7 was reported; lax mode reads on without a config */
	uint32_t clen = ms_get32(opt, be);
	if (clen > n - 4)
		return ms_report(c, R_XL_8, off, "config_len %u exceeds the %u octets that follow it", clen, n - 4);
	*config_len = clen;
	if (clen == 0)
		ms_report(c, R_XL_11, off, "empty domain configuration: restoring needs one from the user");
	if (n - 4 > clen)
		ms_report(c, R_XL_9, off + 4 + clen, "%u octets after the configuration inside the optional data (ignored)",
		          n - 4 - clen);
	const uint8_t *text = opt + 4;
	if (mand & MIGSTREAM_XL_FLAG_JSON) {
		if (clen == 0)
			ms_report(c, R_XL_10, off, "JSON flag set but the configuration is empty");
		else if (text[clen - 1] != '\0')
			ms_report(c, R_XL_10, off, "JSON flag set but the configuration is not NUL-terminated");
		else if (ms_json_config(text, clen - 1, cfg) != 0)
			ms_report(c, R_XL_10, off, "JSON flag set but the configuration is not JSON text");
	}
	return 0;
}

/* ------------------------------------------------------------------ libxl */

int ms_libxl_header(struct ms_libxl *l, struct ms_ctx *c, const uint8_t *h, uint64_t off)
{
	uint64_t ident = ms_be64(h);
	uint32_t version = ms_be32(h + 8), options = ms_be32(h + 12);
	int rc = 0, e;
	if (ident != MS_LIBXL_IDENT)
		return ms_report(c, R_LIBXL_2, off, "ident is 0x%016llx, expected 0x4c6962786c466d74 (\"LibxlFmt\")",
		                 (unsigned long long)ident);
	if (version != 2)
		return ms_report(c, R_LIBXL_3, off + 8, "version is %u, expected 2", version);
	l->be = options & MIGSTREAM_LIBXL_OPT_BIG_ENDIAN;
	l->legacy = (options & MIGSTREAM_LIBXL_OPT_LEGACY) != 0;
	if (l->be) {
		e = ms_report(c, R_LIBXL_4, off + 12,
		              "options bit 0 set: big-endian libxl records (x86 streams are little-endian; libxl refuses this one)");
		if (e && !rc)
			rc = e;
	}
	if (options & ~3u) {
		e = ms_report(c, R_LIBXL_5, off + 12, "reserved option bits 0x%08x are set", options & ~3u);
		if (e && !rc)
			rc = e;
	}
	return rc;
}

void ms_libxl_after_libxc_headers(struct ms_libxl *l, struct ms_ctx *c, uint64_t off)
{
	int conv = l->xc && l->xc->xen_major == 0;
	if (l->legacy != conv)
		ms_report(c, R_LIBXL_6, off,
		          "libxl legacy bit is %s but the libxc image says %s (xen_major %u)",
		          l->legacy ? "set" : "clear", conv ? "converter output" : "a native producer",
		          l->xc ? l->xc->xen_major : 0);
}

int ms_libxl_padding(struct ms_ctx *c, const uint8_t *pad, uint32_t n, uint64_t off)
{
	for (uint32_t i = 0; i < n; i++)
		if (pad[i])
			return ms_report(c, R_LIBXL_8, off, "padding octet %u is 0x%02x, expected 0", i, pad[i]);
	return 0;
}

static int key_char_ok(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

static int xenstore_data(struct ms_ctx *c, const uint8_t *d, uint32_t n)
{
	if (n == 0) {
		ms_report(c, R_LIBXL_24, c->rec_offset, "no key/value data (libxl omits the record instead)");
		return 0;
	}
	if (d[n - 1] != '\0')
		return ms_report(c, R_LIBXL_21, c->rec_offset, "key/value data does not end with NUL");
	uint32_t strings = 0;
	for (uint32_t i = 0; i < n; i++)
		strings += d[i] == '\0';
	if (strings % 2)
		return ms_report(c, R_LIBXL_21, c->rec_offset,
		                 "key/value data holds %u strings, not an even number", strings);
	int warned = 0;
	uint32_t pos = 0, pair = 0;
	while (pos < n) {
		const uint8_t *key = d + pos;
		size_t klen = strlen((const char *)key);
		const uint8_t *val = key + klen + 1;
		size_t vlen = strlen((const char *)val);
		if (klen == 0)
			return ms_report(c, R_LIBXL_22, c->rec_offset, "pair %u has an empty key", pair);
		if (key[0] == '/')
			return ms_report(c, R_LIBXL_22, c->rec_offset, "pair %u key \"%.64s\" is absolute", pair,
			                 (const char *)key);
		if (!warned) {
			for (size_t i = 0; i < klen && !warned; i++)
				if (!key_char_ok(key[i])) {
					warned = 1;
					ms_report(c, R_LIBXL_23, c->rec_offset,
					          "pair %u key has character 0x%02x outside letters, digits and -/_@", pair,
					          key[i]);
				}
			for (size_t i = 0; i < vlen && !warned; i++)
				if (val[i] < 0x20 || val[i] > 0x7e) {
					warned = 1;
					ms_report(c, R_LIBXL_23, c->rec_offset,
					          "pair %u value has non-printable octet 0x%02x", pair, val[i]);
				}
		}
		pos += (uint32_t)(klen + 1 + vlen + 1);
		pair++;
	}
	return 0;
}

static int emulator(struct ms_libxl *l, struct ms_ctx *c, uint32_t type, uint32_t len, const uint8_t *b)
{
	if (len < 8)
		return ms_report(c, R_LIBXL_16, c->rec_offset, "body_length %u is below the 8-octet emulator sub-header",
		                 len);
	uint32_t id = ms_get32(b, l->be), index = ms_get32(b + 4, l->be);
	if (id >= 3)
		return ms_report(c, R_LIBXL_17, c->rec_offset, "emulator_id %u is reserved (0-2 defined)", id);
	uint32_t dtype = l->xc ? l->xc->dtype : 0;
	if (dtype == MIGSTREAM_DOMAIN_X86_PV || l->cfg_type == MIGSTREAM_GUEST_PV || l->cfg_type == MIGSTREAM_GUEST_PVH)
		return ms_report(c, R_LIBXL_20, c->rec_offset, "emulator record for a %s guest (HVM guests only)",
		                 dtype == MIGSTREAM_DOMAIN_X86_PV || l->cfg_type == MIGSTREAM_GUEST_PV ? "PV" : "PVH");
	if (type == MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA) {
		int rc = xenstore_data(c, b + 8, len - 8);
		if (rc)
			return rc;
	}
	if (id == 0 && !l->legacy)
		ms_report(c, R_LIBXL_18, c->rec_offset, "emulator_id 0 (unknown) in a stream without the legacy bit");
	if (id == 1) {
		int old = l->xc && l->xc->xen_major != 0 &&
		          ((uint64_t)l->xc->xen_major << 32 | l->xc->xen_minor) <= (UINT64_C(4) << 32 | 20);
		ms_report_sev(c, R_LIBXL_19, old ? MS_SEV_I : MS_SEV_C, 0, c->rec_offset,
		              "emulator_id 1 (QEMU traditional): Xen 4.21 and later cannot restore it");
	}
	if (index != 0)
		ms_report(c, R_LIBXL_28, c->rec_offset, "emulator index %u (libxl always writes 0)", index);
	if (l->phase == MS_LX_BEFORE)
		ms_report(c, R_LIBXL_27, c->rec_offset, "emulator record before LIBXC_CONTEXT (libxl writes them after the image)");

	int i;
	for (i = 0; i < l->emu_n; i++)
		if (l->emu[i].id == id && l->emu[i].index == index)
			break;
	if (i == l->emu_n && l->emu_n < MS_EMU_TRACK) {
		l->emu[i].id = id;
		l->emu[i].index = index;
		l->emu[i].xs = l->emu[i].ctx = 0;
		l->emu_n++;
	}
	if (i < l->emu_n) {
		uint8_t *seen = type == MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT ? &l->emu[i].ctx : &l->emu[i].xs;
		if ((*seen)++)
			ms_report(c, R_LIBXL_26, c->rec_offset,
			          "second %s for emulator %u index %u in this %s (the later one overwrites)",
			          migstream_record_type_name(MIGSTREAM_LAYER_LIBXL, type), id, index,
			          l->checkpoints || l->phase == MS_LX_CKPT ? "checkpoint" : "stream");
	}
	if (type == MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT)
		l->saw_emu_context = 1;
	return 0;
}

static int checkpoint_state(struct ms_libxl *l, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc = 0;
	if (len < 4)
		return ms_report(c, R_LIBXL_30, c->rec_offset, "body_length %u is below 4 (libxl reads the id unconditionally)",
		                 len);
	if (len != 4 && (rc = ms_report(c, R_LIBXL_31, c->rec_offset, "body_length %u, expected 4", len)))
		return rc;
	uint32_t id = ms_get32(b, l->be);
	if (id > 3)
		return ms_report(c, R_LIBXL_32, c->rec_offset, "control_id %u is not 0-3", id);
	if (l->kind != MIGSTREAM_KIND_COLO && l->kind != MIGSTREAM_KIND_COLO_BACK)
		return ms_report(c, R_LIBXL_33, c->rec_offset, "CHECKPOINT_STATE in a stream not declared COLO");
	if (l->phase == MS_LX_BACK) {
		static const uint32_t want[3] = { MIGSTREAM_CHECKPOINT_SVM_READY, MIGSTREAM_CHECKPOINT_SVM_RESUMED,
		                                  MIGSTREAM_CHECKPOINT_SVM_SUSPENDED };
		if (l->bc_pos > 2 || id != want[l->bc_pos])
			return ms_report(c, R_CKPT_10, c->rec_offset,
			                 "back channel: CHECKPOINT_STATE %u where the cycle expects %s", id,
			                 l->bc_pos > 2 ? "CHECKPOINT_DIRTY_PFN_LIST"
			                 : l->bc_pos == 0 ? "CHECKPOINT_STATE 2 (SVM_READY)"
			                 : l->bc_pos == 1 ? "CHECKPOINT_STATE 3 (SVM_RESUMED)"
			                                  : "CHECKPOINT_STATE 1 (SVM_SUSPENDED)");
		return 0;
	}
	if (l->phase != MS_LX_COLO_STATE)
		return ms_report(c, R_CKPT_9, c->rec_offset, "CHECKPOINT_STATE not directly after a CHECKPOINT_END");
	if (id != MIGSTREAM_CHECKPOINT_NEW)
		return ms_report(c, R_CKPT_9, c->rec_offset, "CHECKPOINT_STATE %u on the forward stream (only 0, NEW)", id);
	return 0;
}

int ms_libxl_record(struct ms_libxl *l, struct ms_ctx *c, uint32_t type, uint32_t len, const uint8_t *body)
{
	if (l->phase == MS_LX_BACK && type != MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE)
		return ms_report(c, R_CKPT_10, c->rec_offset,
		                 "record type 0x%08x where the back channel cycle expects CHECKPOINT_STATE %s", type,
		                 l->bc_pos == 0 ? "2 (SVM_READY)" : l->bc_pos == 1 ? "3 (SVM_RESUMED)"
		                                                    : "1 (SVM_SUSPENDED)");
	if (type & MIGSTREAM_REC_OPTIONAL) {
		ms_report(c, R_LIBXL_11, c->rec_offset,
		          "optional record type 0x%08x skipped (Xen's libxl rejects every unknown type)", type);
		return 0;
	}
	if (type > MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE)
		return ms_report(c, R_LIBXL_10, c->rec_offset, "unknown mandatory record type 0x%08x", type);
	if (l->phase == MS_LX_COLO_STATE && type != MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE)
		return ms_report(c, R_CKPT_2, c->rec_offset,
		                 "%s after CHECKPOINT_END where COLO expects CHECKPOINT_STATE (NEW)",
		                 migstream_record_type_name(MIGSTREAM_LAYER_LIBXL, type));
	switch (type) {
	case MIGSTREAM_LIBXL_REC_END:
		if (len)
			return ms_report(c, R_LIBXL_12, c->rec_offset, "END has body_length %u, expected 0", len);
		if (l->phase == MS_LX_CKPT)
			return ms_report(c, R_CKPT_3, c->rec_offset, "libxl END inside a checkpoint's libxl part");
		if (l->libxc_contexts == 0)
			return ms_report(c, R_LIBXL_14, c->rec_offset, "END before any LIBXC_CONTEXT");
		if (l->xc && l->xc->dtype == MIGSTREAM_DOMAIN_X86_HVM && l->cfg_type != MIGSTREAM_GUEST_PVH &&
		    !l->saw_emu_context)
			ms_report(c, R_LIBXL_25, c->rec_offset, "HVM stream without EMULATOR_CONTEXT");
		l->ended = 1;
		return 0;
	case MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT:
		if (len)
			return ms_report(c, R_LIBXL_13, c->rec_offset, "LIBXC_CONTEXT has body_length %u, expected 0", len);
		if (l->phase == MS_LX_CKPT)
			return ms_report(c, R_CKPT_3, c->rec_offset, "LIBXC_CONTEXT inside a checkpoint's libxl part");
		if (l->libxc_contexts)
			return ms_report(c, R_LIBXL_14, c->rec_offset, "second LIBXC_CONTEXT (exactly one per stream)");
		l->libxc_contexts++;
		return 0;
	case MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA:
	case MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT:
		return emulator(l, c, type, len, body);
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_END:
		if (len)
			return ms_report(c, R_LIBXL_29, c->rec_offset, "CHECKPOINT_END has body_length %u, expected 0", len);
		if (l->phase != MS_LX_CKPT)
			return ms_report(c, R_CKPT_4, c->rec_offset, "CHECKPOINT_END outside a checkpoint's libxl part");
		return 0;
	default:
		return checkpoint_state(l, c, len, body);
	}
}
