/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream dump: every header and record with its decoded fields, as text
 * or as JSON Lines; migstream stats: totals over a whole stream.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "commands.h"

/* Parse the options dump and stats share; returns the input path, NULL
 * after --help (*status 0) or a usage error (*status 2). */
static const char *parse_common(int argc, char **argv, struct read_opts *o, int *json,
                                int *pages, void (*usage)(FILE *), int *status)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = read_opts_parse(o, argc, argv, &i);
		if (k < 0) {
			*status = EXIT_USAGE;
			return NULL;
		}
		if (k > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			*status = 0;
			return NULL;
		} else if (strcmp(a, "--json") == 0) {
			*json = 1;
		} else if (pages && strcmp(a, "--pages") == 0) {
			*pages = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s: unknown option '%s'\n", progname, a);
			usage(stderr);
			*status = EXIT_USAGE;
			return NULL;
		} else if (!path) {
			path = a;
		} else {
			usage(stderr);
			*status = EXIT_USAGE;
			return NULL;
		}
	}
	return path ? path : "-";
}

static const char *read_opts_help =
	"  --strict, --restore, --lax   reader mode (default --lax: read on after errors)\n"
	"  -f, --format auto|libxc|libxl|xl   stream format (default auto)\n"
	"  --channel              stop after the final END; report the octets after it\n"
	"  --plain, --remus, --colo, --back-channel   declare the stream kind\n"
	"  --no-deep              skip the checks that need a per-pfn map\n"
	"  --progress, --no-progress   progress line on standard error\n"
	"  -h, --help             this text\n";

/* ==================================================================== dump */

static void dump_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream dump [--json] [--pages] [OPTIONS] [FILE|-]\n"
	        "\n"
	        "Print every header and record with its decoded fields.\n"
	        "Exit status: 0 valid, 1 invalid, 2 usage or internal error.\n"
	        "\n"
	        "  --json                 one JSON object per line (JSON Lines)\n"
	        "  --pages                one line per PAGE_DATA entry: pfn, type, checksum\n"
	        "%s", read_opts_help);
}

struct dump {
	FILE *out;
	int json;
	int pages;
};

static void dump_header(void *ctx, const char *kind, uint64_t offset, const struct fields *fs)
{
	struct dump *d = ctx;

	if (d->json) {
		fprintf(d->out, "{\"kind\":\"%s\",\"offset\":%" PRIu64, kind, offset);
		fields_json(d->out, fs);
		fputs("}\n", d->out);
	} else {
		fprintf(d->out, "0x%08" PRIx64 "  %s: ", offset, kind);
		fields_text(d->out, fs);
		fputc('\n', d->out);
	}
}

/* Arrays: text lines "    name ..." or a JSON member "name":[...]. */
static void arr_open(struct dump *d, const char *name)
{
	if (d->json)
		fprintf(d->out, ",\"%s\":[", name);
}

static void arr_close(struct dump *d)
{
	if (d->json)
		fputc(']', d->out);
}

/* The key/value pairs of EMULATOR_XENSTORE_DATA. */
static void dump_xenstore(struct dump *d, const migstream_record *rec)
{
	FILE *f = d->out;
	size_t pos = 0;
	const char *k, *v;
	int first = 1;

	arr_open(d, "xenstore");
	while (migstream_record_next_xenstore_pair(rec, &pos, &k, &v) == 0) {
		if (d->json) {
			fprintf(f, "%s{\"key\":", first ? "" : ",");
			json_str(f, k);
			fputs(",\"value\":", f);
			json_str(f, v);
			fputc('}', f);
		} else {
			fprintf(f, "\n            %s = %s", k, v);
		}
		first = 0;
	}
	arr_close(d);
}

static void dump_arrays(struct dump *d, const migstream_record *rec)
{
	FILE *f = d->out;
	uint32_t type = migstream_record_type(rec), n = 0;
	uint32_t layer = migstream_record_layer(rec);

	if (layer == MIGSTREAM_LAYER_LIBXL && type == MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA) {
		dump_xenstore(d, rec);
		return;
	}
	if (layer != MIGSTREAM_LAYER_LIBXC || migstream_record_count(rec, &n) != 0)
		return;
	switch (type) {
	case MIGSTREAM_REC_HVM_PARAMS:
		arr_open(d, "params");
		for (uint32_t i = 0; i < n; i++) {
			uint64_t idx, val;
			if (migstream_record_get_hvm_param(rec, i, &idx, &val) != 0)
				break;
			if (d->json)
				fprintf(f, "%s{\"index\":%" PRIu64 ",\"value\":\"0x%" PRIx64 "\"}",
				        i ? "," : "", idx, val);
			else
				fprintf(f, "\n            param %" PRIu64 " = 0x%" PRIx64, idx, val);
		}
		arr_close(d);
		break;
	case MIGSTREAM_REC_X86_CPUID_POLICY:
		arr_open(d, "cpuid");
		for (uint32_t i = 0; i < n; i++) {
			migstream_cpuid_leaf l;
			if (migstream_record_get_cpuid_leaf(rec, i, &l, sizeof l) != 0)
				break;
			if (d->json)
				fprintf(f,
				        "%s{\"leaf\":\"0x%" PRIx32 "\",\"subleaf\":\"0x%" PRIx32
				        "\",\"a\":\"0x%" PRIx32 "\",\"b\":\"0x%" PRIx32 "\",\"c\":\"0x%" PRIx32
				        "\",\"d\":\"0x%" PRIx32 "\"}",
				        i ? "," : "", l.leaf, l.subleaf, l.a, l.b, l.c, l.d);
			else
				fprintf(f,
				        "\n            leaf 0x%08" PRIx32 ":0x%08" PRIx32 " a 0x%08" PRIx32
				        " b 0x%08" PRIx32 " c 0x%08" PRIx32 " d 0x%08" PRIx32,
				        l.leaf, l.subleaf, l.a, l.b, l.c, l.d);
		}
		arr_close(d);
		break;
	case MIGSTREAM_REC_X86_MSR_POLICY:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		arr_open(d, "msrs");
		for (uint32_t i = 0; i < n; i++) {
			migstream_msr_entry e;
			int rc = type == MIGSTREAM_REC_X86_MSR_POLICY ?
			         migstream_record_get_msr_entry(rec, i, &e, sizeof e) :
			         migstream_record_get_vcpu_msr(rec, i, &e, sizeof e);
			if (rc != 0)
				break;
			if (d->json)
				fprintf(f, "%s{\"index\":\"0x%" PRIx32 "\",\"flags\":\"0x%" PRIx32
				        "\",\"value\":\"0x%" PRIx64 "\"}", i ? "," : "", e.idx, e.flags, e.val);
			else
				fprintf(f, "\n            msr 0x%08" PRIx32 " = 0x%016" PRIx64 "%s", e.idx,
				        e.val, e.flags ? " (flags set)" : "");
		}
		arr_close(d);
		break;
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		arr_open(d, type == MIGSTREAM_REC_X86_PV_P2M_FRAMES ? "frames" : "pfns");
		for (uint32_t i = 0; i < n; i++) {
			uint64_t pfn;
			int rc = type == MIGSTREAM_REC_X86_PV_P2M_FRAMES ?
			         migstream_record_get_p2m_frame(rec, i, &pfn) :
			         migstream_record_get_dirty_pfn(rec, i, &pfn);
			if (rc != 0)
				break;
			if (d->json)
				fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "", pfn);
			else
				fprintf(f, "%s0x%" PRIx64, i % 8 ? " " : "\n            ", pfn);
		}
		arr_close(d);
		break;
	default:
		break;
	}
}

static void dump_pages(struct dump *d, const migstream_record *rec)
{
	uint32_t n = 0, type;
	uint64_t pfn;
	const void *page;

	if (migstream_record_count(rec, &n) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		if (migstream_record_get_page(rec, i, &pfn, &type, &page) != 0 &&
		    migstream_record_get_pfn(rec, i, &pfn, &type) != 0)
			break;
		if (d->json) {
			fprintf(d->out,
			        "{\"kind\":\"page\",\"record\":%" PRIu64 ",\"entry\":%" PRIu32
			        ",\"pfn\":\"0x%" PRIx64 "\",\"type\":%" PRIu32 ",\"type_name\":\"%s\","
			        "\"checksum\":",
			        migstream_record_index(rec), i, pfn, type, migstream_page_type_name(type));
			if (page)
				fprintf(d->out, "\"%016" PRIx64 "\"}\n", fnv1a64(page, MIGSTREAM_PAGE_SIZE));
			else
				fputs("null}\n", d->out);
		} else {
			fprintf(d->out, "            page %" PRIu32 ": pfn 0x%" PRIx64 " %s", i, pfn,
			        migstream_page_type_name(type));
			if (page)
				fprintf(d->out, " fnv1a64 %016" PRIx64, fnv1a64(page, MIGSTREAM_PAGE_SIZE));
			fputc('\n', d->out);
		}
	}
}

static void dump_record(struct dump *d, const migstream_record *rec)
{
	struct fields fs;
	uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);

	record_fields(rec, &fs);
	if (d->json) {
		fprintf(d->out,
		        "{\"kind\":\"record\",\"layer\":\"%s\",\"index\":%" PRIu64 ",\"offset\":%" PRIu64
		        ",\"type\":%" PRIu32 ",\"type_name\":\"%s\",\"length\":%" PRIu32,
		        layer_name(layer), migstream_record_index(rec), migstream_record_offset(rec), type,
		        migstream_record_type_name(layer, type), migstream_record_length(rec));
		fields_json(d->out, &fs);
		dump_arrays(d, rec);
		fputs("}\n", d->out);
	} else {
		fprintf(d->out, "0x%08" PRIx64 "  %s #%" PRIu64 " %s", migstream_record_offset(rec),
		        layer_name(layer), migstream_record_index(rec),
		        migstream_record_type_name(layer, type));
		if (type & MIGSTREAM_REC_OPTIONAL)
			fprintf(d->out, " 0x%08" PRIx32, type);
		fprintf(d->out, ", length %" PRIu32, migstream_record_length(rec));
		if (fs.n) {
			fputs(": ", d->out);
			fields_text(d->out, &fs);
		}
		dump_arrays(d, rec);
		fputc('\n', d->out);
	}
	if (d->pages && layer == MIGSTREAM_LAYER_LIBXC && type == MIGSTREAM_REC_PAGE_DATA)
		dump_pages(d, rec);
}

/* The closing line(s): status and totals, the channel's trailing octets. */
static void dump_summary(struct dump *d, struct session *s, const struct read_opts *o, int status)
{
	uint64_t trailing = 0;
	int channel_end = o->channel && s->rc == MIGSTREAM_EOF;

	if (channel_end)
		trailing = input_trailing(&s->in, s->r);
	if (d->json) {
		fprintf(stdout,
		        "{\"kind\":\"summary\",\"status\":\"%s\",\"records\":%" PRIu64
		        ",\"octets\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"warnings\":%" PRIu64
		        ",\"anomalies\":%" PRIu64,
		        status == EXIT_VALID ? "valid" : "invalid", s->records,
		        migstream_reader_offset(s->r), s->dp.errors, s->dp.warnings,
		        migstream_reader_anomalies(s->r));
		if (channel_end)
			fprintf(stdout, ",\"trailing\":%" PRIu64, trailing);
		fputs("}\n", stdout);
	} else {
		printf("%s: %" PRIu64 " records, %" PRIu64 " octets, %" PRIu64 " errors, %" PRIu64
		       " warnings\n", status == EXIT_VALID ? "valid" : "invalid", s->records,
		       migstream_reader_offset(s->r), s->dp.errors, s->dp.warnings);
		if (channel_end)
			printf("channel: %" PRIu64 " octets follow the stream\n", trailing);
	}
}

int cmd_dump(int argc, char **argv)
{
	struct read_opts o;
	struct dump d;
	struct session s;
	struct hdr_state hs;
	const migstream_record *rec;
	const char *path;
	int status = 0;

	memset(&d, 0, sizeof d);
	read_opts_init(&o, MIGSTREAM_MODE_LAX);
	path = parse_common(argc, argv, &o, &d.json, &d.pages, dump_usage, &status);
	if (!path)
		return status;
	d.out = stdout;
	session_init(&s);
	s.dp.out = stdout;
	s.dp.json = d.json;
	s.dp.info = 1;
	if (session_open(&s, path, &o) != 0)
		return EXIT_USAGE;
	headers_init(&hs);
	headers_emit(s.r, &hs, dump_header, &d);
	while (session_next(&s, &rec)) {
		headers_record(&hs, rec);
		headers_emit(s.r, &hs, dump_header, &d);
		dump_record(&d, rec);
	}
	status = session_finish(&s);
	dump_summary(&d, &s, &o, status);
	session_close(&s);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing standard output\n", progname);
		return EXIT_USAGE;
	}
	return status;
}

/* =================================================================== stats */

static void stats_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream stats [--json] [OPTIONS] [FILE|-]\n"
	        "\n"
	        "Totals per layer and record type, pages by type, pfn range, distinct and\n"
	        "resent pfns, vCPUs, checkpoints, stream version, guest type, throughput.\n"
	        "Exit status: 0 valid, 1 invalid, 2 usage or internal error.\n"
	        "\n"
	        "  --json                 one JSON object\n"
	        "%s", read_opts_help);
}

struct type_total {
	uint32_t layer, type;
	uint64_t count, octets;
};

struct stats {
	struct type_total t[64];
	int nt;
	uint64_t by_page_type[16];
	uint64_t entries, data_pages, resent, pfn_min, pfn_max;
	struct pfnset pfns, twice, vcpus;
	uint64_t vcpu_max;
	uint64_t page_records, ckpt_libxc, ckpt_end, ckpt_state;
	int have_pv_info;
	migstream_x86_pv_info pv;
	int oom;
};

static void count_type(struct stats *s, const migstream_record *rec)
{
	uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);
	uint64_t octets = 8 + (((uint64_t)migstream_record_length(rec) + 7) & ~(uint64_t)7);
	int i;

	for (i = 0; i < s->nt; i++)
		if (s->t[i].layer == layer && s->t[i].type == type)
			break;
	if (i == s->nt) {
		if (s->nt == 64)
			i = 63;   /* folded into the last slot; 64 distinct types is absurd */
		else
			s->nt++;
		s->t[i].layer = layer;
		s->t[i].type = type;
	}
	s->t[i].count++;
	s->t[i].octets += octets;
}

static void stats_record(struct stats *s, const migstream_record *rec)
{
	uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);
	uint32_t n = 0, pt, vcpu;
	uint64_t pfn;

	count_type(s, rec);
	if (layer == MIGSTREAM_LAYER_LIBXL) {
		if (type == MIGSTREAM_LIBXL_REC_CHECKPOINT_END)
			s->ckpt_end++;
		else if (type == MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE)
			s->ckpt_state++;
		return;
	}
	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA:
		s->page_records++;
		migstream_record_count(rec, &n);
		for (uint32_t i = 0; i < n; i++) {
			if (migstream_record_get_pfn(rec, i, &pfn, &pt) != 0)
				break;
			s->entries++;
			s->by_page_type[pt & 15]++;
			if (!migstream_page_type_has_data(pt))
				continue;
			s->data_pages++;
			if (pfn < s->pfn_min)
				s->pfn_min = pfn;
			if (pfn > s->pfn_max)
				s->pfn_max = pfn;
			int was = pfnset_add(&s->pfns, pfn);
			if (was == -1)
				s->oom = 1;
			if (was == 1) {
				s->resent++;
				if (pfnset_add(&s->twice, pfn) == -1)
					s->oom = 1;
			}
		}
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
		if (migstream_record_get_vcpu(rec, &vcpu, NULL, NULL, NULL) == 0) {
			if (pfnset_add(&s->vcpus, vcpu) == -1)
				s->oom = 1;
			if (vcpu > s->vcpu_max || s->vcpus.count == 1)
				s->vcpu_max = vcpu;
		}
		break;
	case MIGSTREAM_REC_X86_PV_INFO:
		if (migstream_record_get_x86_pv_info(rec, &s->pv, sizeof s->pv) == 0)
			s->have_pv_info = 1;
		break;
	case MIGSTREAM_REC_CHECKPOINT:
		s->ckpt_libxc++;
		break;
	default:
		break;
	}
}

/* HVM vCPUs live inside HVM_CONTEXT (CPU save entries, typecode 2): count
 * the instances of the last context blob. */
static uint64_t hvm_cpu_entries(const migstream_record *rec, uint64_t *max_id)
{
	const unsigned char *p;
	const void *blob;
	size_t len, off = 0;
	uint64_t n = 0;

	if (migstream_record_get_blob(rec, &blob, &len) != 0)
		return 0;
	p = blob;
	/* struct hvm_save_descriptor { u16 typecode; u16 instance; u32 length; },
	 * little-endian x86 ABI. */
	while (off + 8 <= len) {
		unsigned type = p[off] | (unsigned)p[off + 1] << 8;
		unsigned inst = p[off + 2] | (unsigned)p[off + 3] << 8;
		uint32_t l = p[off + 4] | (uint32_t)p[off + 5] << 8 | (uint32_t)p[off + 6] << 16 |
		             (uint32_t)p[off + 7] << 24;
		if (type == 0)
			break;
		if (type == 2) {
			if (n == 0 || inst > *max_id)
				*max_id = inst;
			n++;
		}
		if (l > len - off - 8)
			break;
		off += 8 + l;
	}
	return n;
}

/* Memory for each pfn set of stats: 64 MiB hold every pfn of a 2 TiB
 * guest, or 16384 scattered ones; past it the counts are not given. */
#define STATS_PFN_BUDGET (64u << 20)

/* Each page type's own name: the library calls the four undefined types
 * 5 to 8 all "INVALID". */
static const char *page_type_label(unsigned t, char buf[static 24])
{
	const char *n = migstream_page_type_name(t);

	if (strcmp(n, "INVALID") != 0)
		return n;
	snprintf(buf, 24, "INVALID(0x%x)", t);
	return buf;
}

static const char *format_name(uint32_t f)
{
	switch (f) {
	case MIGSTREAM_FORMAT_LIBXC: return "libxc";
	case MIGSTREAM_FORMAT_LIBXL: return "libxl";
	case MIGSTREAM_FORMAT_XL: return "xl";
	case MIGSTREAM_FORMAT_LEGACY: return "legacy";
	default: return "unknown";
	}
}

/* What the summary says besides the counts of struct stats. */
struct stats_end {
	int status;
	uint32_t format;
	uint64_t octets, records, errors, warnings;
	double seconds;
	int have_ih;
	migstream_image_header ih;
	migstream_domain_header dh;
	uint64_t vcpus, vcpu_max;
	int pfns_over, vcpus_over;
	const struct rounds *rounds;
};

static void stats_json(FILE *f, const struct stats *s, const struct stats_end *e)
{
	double mbs = e->seconds > 0 ? (double)e->octets / 1e6 / e->seconds : 0;
	int be = e->have_ih && (e->ih.options & 1);
	char tl[24];

	fprintf(f, "{\"status\":\"%s\",\"format\":\"%s\",\"octets\":%" PRIu64
	        ",\"records\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"warnings\":%" PRIu64,
	        e->status == EXIT_VALID ? "valid" : "invalid", format_name(e->format), e->octets,
	        e->records, e->errors, e->warnings);
	if (e->have_ih)
		fprintf(f, ",\"stream_version\":%" PRIu32 ",\"byte_order\":\"%s\","
		        "\"guest_type\":\"%s\",\"domain_type\":%" PRIu32
		        ",\"xen_version\":\"%" PRIu32 ".%" PRIu32 "\"",
		        e->ih.version, be ? "big" : "little", domain_type_name(e->dh.type), e->dh.type,
		        e->dh.xen_major, e->dh.xen_minor);
	if (s->have_pv_info)
		fprintf(f, ",\"guest_width\":%u,\"pt_levels\":%u", (unsigned)s->pv.guest_width,
		        (unsigned)s->pv.pt_levels);
	fputs(",\"record_types\":[", f);
	for (int i = 0; i < s->nt; i++)
		fprintf(f, "%s{\"layer\":\"%s\",\"type\":%" PRIu32 ",\"type_name\":\"%s\","
		        "\"count\":%" PRIu64 ",\"octets\":%" PRIu64 "}", i ? "," : "",
		        layer_name(s->t[i].layer), s->t[i].type,
		        migstream_record_type_name(s->t[i].layer, s->t[i].type), s->t[i].count,
		        s->t[i].octets);
	fprintf(f, "],\"page_data_records\":%" PRIu64 ",\"page_entries\":%" PRIu64
	        ",\"data_pages\":%" PRIu64 ",\"pages_by_type\":{", s->page_records, s->entries,
	        s->data_pages);
	int first = 1;
	for (unsigned t = 0; t < 16; t++) {
		if (!s->by_page_type[t])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", page_type_label(t, tl),
		        s->by_page_type[t]);
		first = 0;
	}
	fputc('}', f);
	/* pfn figures count data pages only, as verify -v's ranges. */
	if (s->data_pages)
		fprintf(f, ",\"pfn_min\":\"0x%" PRIx64 "\",\"pfn_max\":\"0x%" PRIx64 "\"",
		        s->pfn_min, s->pfn_max);
	if (e->pfns_over)
		fprintf(f, ",\"distinct_pfns\":null,\"resent_pages\":%" PRIu64
		        ",\"resent_pfns\":null", s->resent);
	else
		fprintf(f, ",\"distinct_pfns\":%" PRIu64 ",\"resent_pages\":%" PRIu64
		        ",\"resent_pfns\":%" PRIu64, s->pfns.count, s->resent, s->twice.count);
	if (e->vcpus_over)
		fprintf(f, ",\"vcpus\":null");
	else
		fprintf(f, ",\"vcpus\":%" PRIu64, e->vcpus);
	if (e->vcpus && !e->vcpus_over)
		fprintf(f, ",\"vcpu_max_id\":%" PRIu64, e->vcpu_max);
	fprintf(f, ",\"checkpoints\":%" PRIu64 ",\"checkpoint_ends\":%" PRIu64
	        ",\"checkpoint_states\":%" PRIu64, s->ckpt_libxc, s->ckpt_end, s->ckpt_state);
	rounds_json(f, e->rounds);
	fprintf(f, ",\"seconds\":%.6f,\"mb_per_s\":%.1f}\n", e->seconds, mbs);
}

static void stats_text(FILE *f, const struct stats *s, const struct stats_end *e)
{
	double mbs = e->seconds > 0 ? (double)e->octets / 1e6 / e->seconds : 0;
	int be = e->have_ih && (e->ih.options & 1);
	char tl[24];

	fprintf(f, "status:           %s (%" PRIu64 " errors, %" PRIu64 " warnings)\n",
	        e->status == EXIT_VALID ? "valid" : "invalid", e->errors, e->warnings);
	fprintf(f, "format:           %s\n", format_name(e->format));
	if (e->have_ih) {
		fprintf(f, "stream version:   %" PRIu32 ", %s-endian\n", e->ih.version,
		        be ? "big" : "little");
		fprintf(f, "guest type:       %s", domain_type_name(e->dh.type));
		if (s->have_pv_info)
			fprintf(f, ", %u-bit, %u page-table levels", 8u * s->pv.guest_width,
			        (unsigned)s->pv.pt_levels);
		fprintf(f, "\nsaved by:         Xen %" PRIu32 ".%" PRIu32 "\n", e->dh.xen_major,
		        e->dh.xen_minor);
	}
	fprintf(f, "size:             %" PRIu64 " octets, %" PRIu64 " records\n", e->octets,
	        e->records);
	fprintf(f, "records:\n");
	for (int i = 0; i < s->nt; i++)
		fprintf(f, "  %-5s %-26s %10" PRIu64 " records %14" PRIu64 " octets\n",
		        layer_name(s->t[i].layer),
		        migstream_record_type_name(s->t[i].layer, s->t[i].type), s->t[i].count,
		        s->t[i].octets);
	fprintf(f, "pages:            %" PRIu64 " entries in %" PRIu64 " PAGE_DATA records, %"
	        PRIu64 " with data\n", s->entries, s->page_records, s->data_pages);
	for (unsigned t = 0; t < 16; t++)
		if (s->by_page_type[t])
			fprintf(f, "  %-16s %10" PRIu64 "\n", page_type_label(t, tl), s->by_page_type[t]);
	if (s->data_pages)
		fprintf(f, "pfn range:        0x%" PRIx64 "-0x%" PRIx64 " (data pages)\n",
		        s->pfn_min, s->pfn_max);
	if (e->pfns_over) {
		fprintf(f, "distinct pfns:    not counted (over the %u MiB budget)\n",
		        STATS_PFN_BUDGET >> 20);
		fprintf(f, "resent pages:     not counted\n");
	} else {
		fprintf(f, "distinct pfns:    %" PRIu64 " (data pages)\n", s->pfns.count);
		fprintf(f, "resent pages:     %" PRIu64 " (%" PRIu64 " pfns sent more than once)\n",
		        s->resent, s->twice.count);
	}
	if (e->vcpus_over)
		fprintf(f, "vcpus:            not counted");
	else
		fprintf(f, "vcpus:            %" PRIu64, e->vcpus);
	if (e->vcpus && !e->vcpus_over)
		fprintf(f, " (highest id %" PRIu64 ")", e->vcpu_max);
	fprintf(f, "\ncheckpoints:      %" PRIu64 " (libxl CHECKPOINT_END %" PRIu64
	        ", CHECKPOINT_STATE %" PRIu64 ")\n", s->ckpt_libxc, s->ckpt_end, s->ckpt_state);
	rounds_text(f, e->rounds, "");
	fprintf(f, "throughput:       %.1f MB/s (%.3f s)\n", mbs, e->seconds);
}

static void stats_init(struct stats *s)
{
	memset(s, 0, sizeof *s);
	s->pfn_min = UINT64_MAX;
	pfnset_init(&s->pfns);
	pfnset_init(&s->twice);
	pfnset_init(&s->vcpus);
	pfnset_budget(&s->pfns, STATS_PFN_BUDGET);
	pfnset_budget(&s->twice, STATS_PFN_BUDGET);
	pfnset_budget(&s->vcpus, STATS_PFN_BUDGET / 64);
}

static void stats_free(struct stats *s)
{
	pfnset_free(&s->pfns);
	pfnset_free(&s->twice);
	pfnset_free(&s->vcpus);
}

int cmd_stats(int argc, char **argv)
{
	struct read_opts o;
	struct stats s;
	struct stats_end e;
	struct session ss;
	const migstream_record *rec;
	const char *path;
	uint64_t hvm_vcpus = 0, hvm_vcpu_max = 0;
	int status = 0, json = 0;
	double t0;

	read_opts_init(&o, MIGSTREAM_MODE_LAX);
	path = parse_common(argc, argv, &o, &json, NULL, stats_usage, &status);
	if (!path)
		return status;
	stats_init(&s);
	memset(&e, 0, sizeof e);
	session_init(&ss);
	ss.read_fd = 1;
	t0 = now_seconds();
	if (session_open(&ss, path, &o) != 0) {
		stats_free(&s);
		return EXIT_USAGE;
	}
	while (session_next(&ss, &rec)) {
		stats_record(&s, rec);
		if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
		    migstream_record_type(rec) == MIGSTREAM_REC_HVM_CONTEXT)
			hvm_vcpus = hvm_cpu_entries(rec, &hvm_vcpu_max);
	}
	e.octets = migstream_reader_offset(ss.r);
	e.records = ss.records;
	e.seconds = now_seconds() - t0;
	e.status = session_finish(&ss);
	e.errors = ss.dp.errors;
	e.warnings = ss.dp.warnings;
	migstream_reader_format(ss.r, &e.format);
	e.rounds = &ss.rounds;
	e.have_ih = migstream_reader_get_image_header(ss.r, &e.ih, sizeof e.ih) == 0 &&
	            migstream_reader_get_domain_header(ss.r, &e.dh, sizeof e.dh) == 0;
	if (s.oom)
		fprintf(stderr, "%s: out of memory counting pfns; counts are incomplete\n", progname);
	e.pfns_over = s.pfns.over || s.twice.over;
	e.vcpus_over = s.vcpus.over;
	if (e.pfns_over)
		fprintf(stderr, "%s: the pfns are too scattered to count within %u MiB; distinct and "
		        "resent pfn counts are not given\n", progname, STATS_PFN_BUDGET >> 20);
	if (e.vcpus_over)
		fprintf(stderr, "%s: too many vCPU ids to count within %u MiB; the vCPU count is not "
		        "given\n", progname, STATS_PFN_BUDGET >> 26);
	e.vcpus = s.vcpus.count;
	e.vcpu_max = s.vcpu_max;
	if (!e.vcpus && hvm_vcpus) {
		e.vcpus = hvm_vcpus;
		e.vcpu_max = hvm_vcpu_max;
	}
	if (json)
		stats_json(stdout, &s, &e);
	else
		stats_text(stdout, &s, &e);
	stats_free(&s);
	session_close(&ss);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	return e.status;
}
