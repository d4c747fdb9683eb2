/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream extract-memory: the guest's final memory image, rebuilt from
 * PAGE_DATA (a later copy of a page replaces an earlier one), as a sparse
 * raw file indexed by pfn or as an ELF core file with one PT_LOAD segment
 * per run of contiguous pfns.  Pages never sent stay holes.  On a channel
 * (--channel) the pages go through a page journal (migstream_journal) and
 * only committed rounds reach the output: the memory at the last complete
 * checkpoint, or at checkpoint N (--checkpoint N).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common.h"
#include "commands.h"

static void extract_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream extract-memory [--format raw|elf] [OPTIONS] FILE|- OUT\n"
	        "\n"
	        "Write the guest memory the stream carries to OUT:\n"
	        "  raw  a sparse file, page pfn at offset pfn * 4096 (default)\n"
	        "  elf  an ELF64 core file, one PT_LOAD per run of contiguous pfns\n"
	        "       (p_paddr = pfn * 4096)\n"
	        "Later copies of a page replace earlier ones; pages never sent are holes\n"
	        "(raw) or absent (elf).  A regular-file OUT is written to a temporary file\n"
	        "beside it and replaces OUT only on success (exit 0); otherwise OUT is left\n"
	        "as it was.  A device is written in place.  OUT may not be the input.\n"
	        "Exit status: 0 valid stream, written; 1 invalid stream or a read/write\n"
	        "failure; 2 usage or cannot start (input missing, OUT not creatable).\n"
	        "\n"
	        "  --format raw|elf       output format\n"
	        "  --no-sync              do not fsync OUT and its directory before renaming\n"
	        "  --strict, --restore, --lax   reader mode (default --lax)\n"
	        "  -f auto|libxc|libxl|xl stream format (default auto)\n"
	        "  --channel              a migration channel: stop after the final END; a\n"
	        "                         checkpointed stream gives the memory at its last\n"
	        "                         complete checkpoint (the open round is discarded)\n"
	        "  --checkpoint N         with --channel: the memory at checkpoint N instead\n"
	        "                         (rounds count from 1: round N ends with the N-th\n"
	        "                         CHECKPOINT, CHECKPOINT_END in libxl streams)\n"
	        "  --plain, --remus, --colo, --back-channel   declare the stream kind\n"
	        "  --no-deep              skip the checks that need a per-pfn map\n"
	        "  --progress, --no-progress   progress line on standard error\n"
	        "  -h, --help             this text\n");
}

/* A run of pfns and where its pages go in the ELF file. */
struct run {
	uint64_t first, n, offset;
};

struct runs {
	struct run *v;
	size_t n, cap;
};

static int add_run(void *ctx, uint64_t first, uint64_t n)
{
	struct runs *rs = ctx;

	if (rs->n == rs->cap) {
		size_t c = rs->cap ? rs->cap * 2 : 64;
		struct run *v = realloc(rs->v, c * sizeof *v);
		if (!v)
			return -1;
		rs->v = v;
		rs->cap = c;
	}
	rs->v[rs->n].first = first;
	rs->v[rs->n].n = n;
	rs->v[rs->n].offset = 0;
	rs->n++;
	return 0;
}

static const struct run *find_run(const struct runs *rs, uint64_t pfn)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct run *r = &rs->v[mid];
		if (pfn < r->first)
			hi = mid;
		else if (pfn >= r->first + r->n)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* One pass over the stream: collect the pfns with data (set) or write the
 * pages (fd >= 0; runs NULL for raw output).  On a channel the pages go
 * through a journal and only committed rounds reach the output: up to
 * round `upto` (--checkpoint N), else every committed round. */
struct pass {
	const struct read_opts *o;
	const char *path;
	struct pfnset *set;
	int fd;
	const struct runs *runs;
	uint64_t pages_written;
	uint64_t max_end;
	int quiet;
	uint64_t upto;            /* 0: the last complete checkpoint */
	uint64_t rec_index;       /* the record the pages come from */
	int frozen;               /* round upto is written: ignore the rest */
	migstream_checkpoint_info ci;
};

/* Where the page of pfn goes in the output: 0 and *off, 1 to skip it (not
 * in a run), or -1 when it cannot be written (message printed). */
static int page_offset(const struct pass *ps, uint64_t pfn, uint64_t *off)
{
	if (ps->runs) {
		const struct run *ru = find_run(ps->runs, pfn);
		if (!ru)
			return 1;
		*off = ru->offset + (pfn - ru->first) * MIGSTREAM_PAGE_SIZE;
	} else if (pfn >= (uint64_t)INT64_MAX / MIGSTREAM_PAGE_SIZE) {
		/* pfn * 4096 is past the largest file offset. */
		fprintf(stderr, "%s: pfn 0x%" PRIx64 " (record %" PRIu64 ") is out of range "
		        "for a raw memory image: its offset would pass 2^63\n", progname,
		        pfn, ps->rec_index);
		return -1;
	} else {
		*off = pfn * MIGSTREAM_PAGE_SIZE;
	}
	return 0;
}

/* One data page: into the set, or written out.  0, or the error that
 * stops the pass (message printed). */
static int put_page(void *ctx, uint64_t pfn, uint32_t type, const void *page)
{
	struct pass *ps = ctx;
	uint64_t off;
	int k;

	(void)type;
	if (ps->set) {
		if (pfnset_add(ps->set, pfn) < 0) {
			fprintf(stderr, "%s: out of memory\n", progname);
			return MIGSTREAM_E_NOMEM;
		}
		return 0;
	}
	if ((k = page_offset(ps, pfn, &off)) > 0)
		return 0;
	if (k < 0)
		return MIGSTREAM_E_IO;
	if (pwrite_all(ps->fd, page, MIGSTREAM_PAGE_SIZE, off) != 0) {
		fprintf(stderr, "%s: writing the page of pfn 0x%" PRIx64 " at offset 0x%" PRIx64
		        " of the memory image: %s\n", progname, pfn, off, strerror(errno));
		return MIGSTREAM_E_IO;
	}
	if (off + MIGSTREAM_PAGE_SIZE > ps->max_end)
		ps->max_end = off + MIGSTREAM_PAGE_SIZE;
	ps->pages_written++;
	return 0;
}

/* The data pages of one PAGE_DATA record.  0, or the error that stops the
 * pass (message printed). */
static int pass_record(struct pass *ps, const migstream_record *rec)
{
	uint32_t n = 0;

	if (migstream_record_layer(rec) != MIGSTREAM_LAYER_LIBXC ||
	    migstream_record_type(rec) != MIGSTREAM_REC_PAGE_DATA ||
	    migstream_record_count(rec, &n) != 0)
		return 0;
	ps->rec_index = migstream_record_index(rec);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pfn;
		uint32_t type;
		const void *page;
		int rc;
		if (migstream_record_get_page(rec, i, &pfn, &type, &page) != 0 || !page)
			continue;
		if ((rc = put_page(ps, pfn, type, page)) != 0)
			return rc;
	}
	return 0;
}

/* A channel: the record through the journal (rec NULL at the end). */
static int journal_record(struct pass *ps, migstream_journal *j, migstream_reader *r,
                          const migstream_record *rec)
{
	int rc;

	if (ps->frozen)
		return 0;
	if (rec)
		ps->rec_index = migstream_record_index(rec);
	/* Round 1 needs no journal: if it is not committed, the stream is
	 * invalid (CKPT-6, or a truncation) and OUT is not replaced. */
	migstream_reader_get_checkpoint(r, &ps->ci, sizeof ps->ci);
	if (rec && ps->ci.round == 1 && ps->ci.state != MIGSTREAM_CKPT_DISCARDED) {
		if ((rc = pass_record(ps, rec)) != 0)
			return rc;
		rec = NULL;
	}
	rc = migstream_journal_step(j, r, rec, put_page, ps);
	if (rc == MIGSTREAM_E_IO && errno != 0)
		fprintf(stderr, "%s: the page journal (TMPDIR): %s\n", progname, strerror(errno));
	if (rc < 0)
		return rc == MIGSTREAM_E_NOMEM ? rc : MIGSTREAM_E_IO;
	migstream_reader_get_checkpoint(r, &ps->ci, sizeof ps->ci);
	if (rc == 1 && ps->upto && ps->ci.committed >= ps->upto)
		ps->frozen = 1;
	return 0;
}

static int run_pass(struct pass *ps, int *status)
{
	struct session s;
	const migstream_record *rec;
	migstream_journal *j = NULL;
	int rc = 0;

	session_init(&s);
	s.dp.quiet = ps->quiet;
	if (ps->o->channel && !(j = migstream_journal_new(-1, NULL))) {
		fprintf(stderr, "%s: cannot make the page journal in TMPDIR: %s\n", progname,
		        strerror(errno));
		return -1;
	}
	ps->frozen = 0;
	memset(&ps->ci, 0, sizeof ps->ci);
	if (session_open(&s, ps->path, ps->o) != 0) {
		migstream_journal_free(j);
		return -1;
	}
	while (rc == 0 && session_next(&s, &rec))
		rc = j ? journal_record(ps, j, s.r, rec) : pass_record(ps, rec);
	if (rc == 0 && j)
		rc = journal_record(ps, j, s.r, NULL);
	if (rc == MIGSTREAM_E_IO) {
		*status = EXIT_INVALID;
	} else if (rc == 0) {
		*status = session_finish(&s);
		if (*status == EXIT_VALID && j && ps->upto && ps->ci.committed < ps->upto) {
			fprintf(stderr, "%s: %s: --checkpoint %" PRIu64 ": the stream has %" PRIu64
			        " complete checkpoint%s\n", progname, ps->path, ps->upto,
			        ps->ci.committed, ps->ci.committed == 1 ? "" : "s");
			*status = EXIT_INVALID;
		}
	}
	session_close(&s);
	migstream_journal_free(j);
	return rc == MIGSTREAM_E_NOMEM ? -1 : 0;
}

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(unsigned char *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

/* ELF64 little-endian core header and program headers.  More than 65534
 * segments use the PN_XNUM escape (the count goes in section header 0). */
static int write_elf_headers(int fd, struct runs *rs, uint64_t *data_start, int regular)
{
	size_t n = rs->n;
	int xnum = n >= 0xffff;
	uint64_t phoff = 64, shoff = 0;
	uint64_t end = phoff + 56 * (uint64_t)n;
	unsigned char eh[64], ph[56], sh[64];

	if (xnum) {
		shoff = end;
		end += 64;
	}
	end = (end + MIGSTREAM_PAGE_SIZE - 1) & ~(uint64_t)(MIGSTREAM_PAGE_SIZE - 1);
	*data_start = end;
	for (size_t i = 0; i < n; i++) {
		rs->v[i].offset = end;
		end += rs->v[i].n * MIGSTREAM_PAGE_SIZE;
	}

	memset(eh, 0, sizeof eh);
	memcpy(eh, "\177ELF", 4);
	eh[4] = 2;      /* ELFCLASS64 */
	eh[5] = 1;      /* ELFDATA2LSB */
	eh[6] = 1;      /* EV_CURRENT */
	le16(eh + 16, 4);    /* ET_CORE */
	le16(eh + 18, 62);   /* EM_X86_64 */
	le32(eh + 20, 1);
	le64(eh + 32, phoff);
	le64(eh + 40, shoff);
	le16(eh + 52, 64);
	le16(eh + 54, 56);
	le16(eh + 56, xnum ? 0xffff : (uint16_t)n);
	le16(eh + 58, xnum ? 64 : 0);
	le16(eh + 60, xnum ? 1 : 0);
	if (pwrite_all(fd, eh, sizeof eh, 0) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		memset(ph, 0, sizeof ph);
		le32(ph, 1);         /* PT_LOAD */
		le32(ph + 4, 7);     /* PF_R | PF_W | PF_X */
		le64(ph + 8, rs->v[i].offset);
		le64(ph + 16, 0);    /* p_vaddr: no virtual mapping is known */
		le64(ph + 24, rs->v[i].first * MIGSTREAM_PAGE_SIZE);
		le64(ph + 32, rs->v[i].n * MIGSTREAM_PAGE_SIZE);
		le64(ph + 40, rs->v[i].n * MIGSTREAM_PAGE_SIZE);
		le64(ph + 48, MIGSTREAM_PAGE_SIZE);
		if (pwrite_all(fd, ph, sizeof ph, phoff + 56 * (uint64_t)i) != 0)
			return -1;
	}
	if (xnum) {
		memset(sh, 0, sizeof sh);
		le32(sh + 44, (uint32_t)n);   /* sh_info: the real e_phnum */
		if (pwrite_all(fd, sh, sizeof sh, shoff) != 0)
			return -1;
	}
	/* The file's size covers every segment even if the last pages are
	 * zero-filled holes. */
	if (regular && ftruncate(fd, (off_t)end) != 0)
		return -1;
	return 0;
}

/* Copy standard input (or a pipe) to a temporary file: ELF output needs
 * two passes. */
static char *spool(const char *path)
{
	const char *dir = getenv("TMPDIR");
	char *name;
	char buf[65536];
	int in = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
	int out;
	ssize_t n;

	if (in < 0)
		return NULL;
	if (!dir || !*dir)
		dir = "/tmp";
	name = malloc(strlen(dir) + 32);
	if (!name)
		return NULL;
	sprintf(name, "%s/migstream.XXXXXX", dir);
	/* Registered: removed on SIGINT, SIGTERM and SIGHUP too. */
	out = tmpfile_create(name, 0600);
	if (out < 0) {
		int e = errno;
		if (in != 0)
			close(in);
		free(name);
		errno = e;
		return NULL;
	}
	for (;;) {
		n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t done = 0, w; done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR) {
				w = 0;
			} else if (w <= 0) {
				n = -1;
				break;
			}
		}
		if (n < 0)
			break;
	}
	close(out);
	if (in != 0)
		close(in);
	if (n < 0) {
		int e = errno;
		tmpfile_release(name, 1);
		free(name);
		errno = e;
		return NULL;
	}
	return name;
}

/* The options and the two paths.  0 to go on, -1 after --help, else the
 * exit status of a usage error. */
static int extract_options(int argc, char **argv, struct read_opts *o, int *elf, int *sync,
                           uint64_t *upto, const char *paths[2])
{
	int np = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--checkpoint") == 0 || strncmp(a, "--checkpoint=", 13) == 0) {
			const char *v = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : "");
			char *end;
			errno = 0;
			unsigned long long n = strtoull(v, &end, 10);
			if (!*v || *end || errno || n == 0 || *v == '-') {
				fprintf(stderr, "%s extract-memory: --checkpoint N: a round number from 1\n",
				        progname);
				return EXIT_USAGE;
			}
			*upto = n;
			continue;
		}
		if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : "");
			if (strcmp(v, "raw") == 0) {
				*elf = 0;
			} else if (strcmp(v, "elf") == 0) {
				*elf = 1;
			} else {
				fprintf(stderr, "%s extract-memory: --format raw or elf\n", progname);
				return EXIT_USAGE;
			}
			continue;
		}
		if (strcmp(a, "--no-sync") == 0) {
			*sync = 0;
			continue;
		}
		int k = read_opts_parse(o, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			extract_usage(stdout);
			return -1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s extract-memory: unknown option '%s'\n", progname, a);
			extract_usage(stderr);
			return EXIT_USAGE;
		} else if (np < 2) {
			paths[np++] = a;
		} else {
			extract_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (np != 2 || strcmp(paths[1], "-") == 0) {
		extract_usage(stderr);
		return EXIT_USAGE;
	}
	if (*upto && !o->channel) {
		fprintf(stderr, "%s extract-memory: --checkpoint needs --channel\n", progname);
		return EXIT_USAGE;
	}
	return 0;
}

/* ELF output: a first pass collects the pfns (the input spooled to a
 * temporary file *tmp when it is not a regular file), the headers are
 * written, a second pass writes the pages and reports the findings. */
static int extract_elf(struct pass *ps, struct output *out, const char *in_path,
                       char **tmp)
{
	struct pfnset set;
	struct runs rs = { NULL, 0, 0 };
	uint64_t data_start;
	int regular = 0, status = EXIT_VALID;
	struct input probe;

	if (input_open(&probe, in_path) != 0)
		return EXIT_USAGE;
	regular = probe.regular;
	input_close(&probe);
	if (!regular) {
		*tmp = spool(in_path);
		if (!*tmp) {
			fprintf(stderr, "%s: cannot copy the input to a temporary file: %s\n",
			        progname, strerror(errno));
			return EXIT_INVALID;
		}
		ps->path = *tmp;
	}
	pfnset_init(&set);
	ps->set = &set;
	ps->quiet = 1;   /* findings are reported by the second pass */
	if (run_pass(ps, &status) != 0 || pfnset_runs(&set, add_run, &rs) != 0) {
		fprintf(stderr, "%s: %s: out of memory collecting the pfns\n", progname, out->path);
		status = EXIT_USAGE;
	} else if (write_elf_headers(ps->fd, &rs, &data_start, out->regular) != 0) {
		fprintf(stderr, "%s: %s: cannot write the ELF headers: %s\n", progname,
		        out->path, strerror(errno));
		status = EXIT_INVALID;
	} else {
		/* Also for an invalid stream: this pass reports the
		 * findings (the output is then discarded). */
		ps->set = NULL;
		ps->quiet = 0;
		ps->runs = &rs;
		if (run_pass(ps, &status) != 0)
			status = EXIT_USAGE;
	}
	pfnset_free(&set);
	free(rs.v);
	return status;
}

int cmd_extract(int argc, char **argv)
{
	struct read_opts o;
	const char *paths[2] = { NULL, NULL };
	int elf = 0, status = EXIT_VALID, sync = 1;
	uint64_t upto = 0;
	char *tmp = NULL;
	struct pass ps;
	struct output out;
	struct stat st;

	read_opts_init(&o, MIGSTREAM_MODE_LAX);
	if ((status = extract_options(argc, argv, &o, &elf, &sync, &upto, paths)) != 0)
		return status < 0 ? 0 : status;
	/* The input is checked (missing, or the same file as OUT) before OUT
	 * is opened; a regular OUT is only ever a temporary file beside it. */
	if (stat(paths[1], &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		/* Refused before the open, which would wait for a reader. */
		fprintf(stderr, "%s extract-memory: %s: the output must be seekable (a FIFO or "
		        "socket is not)\n", progname, paths[1]);
		return EXIT_USAGE;
	}
	if ((status = output_open(&out, paths[1], paths[0], sync)) != 0)
		return status;
	if (!out.regular && lseek(out.fd, 0, SEEK_CUR) < 0) {
		fprintf(stderr, "%s extract-memory: %s: the output must be seekable (%s)\n",
		        progname, paths[1], strerror(errno));
		output_abort(&out);
		return EXIT_USAGE;
	}
	memset(&ps, 0, sizeof ps);
	ps.o = &o;
	ps.path = paths[0];
	ps.fd = out.fd;
	ps.upto = upto;
	/* Raw output: pages past the last one written are never sent, so
	 * the file ends with the highest page. */
	if (elf)
		status = extract_elf(&ps, &out, paths[0], &tmp);
	else if (run_pass(&ps, &status) != 0)
		status = EXIT_USAGE;
	/* Only a valid stream, completely written, replaces OUT. */
	if (status == EXIT_VALID)
		status = output_commit(&out);
	else
		output_abort(&out);
	if (tmp) {
		tmpfile_release(tmp, 1);
		free(tmp);
	}
	return status;
}
