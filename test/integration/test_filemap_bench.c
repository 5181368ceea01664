/*
 * test_filemap bench: the file-mapping benchmarks of issue 10, run by the
 * bench target (tools/bench.sh) under -icount shift=0 over the bench
 * image (tools/mkfsimg.sh with FSIMG_BENCH=1: /data/seq16.bin and
 * /data/cold16.bin, 16 MiB each, never read before). Instructions per
 * operation (the median where each one is timed alone, else the total
 * over the count); docs/benchmarks.md has the table with Linux 6.1's.
 * Every figure counts all the instructions the hart retired meanwhile
 * (the pager, the file server, the kernel, and idle time while the host
 * does disk I/O).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "filemap.h"

#define PS	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)
#define MIB16	(16ul << 20)
#define NS	256		/* samples for the per-operation medians */

static uint64_t samples[NS];

/* memcpy of a page 8 bytes a step (picolibc's copies bytes; Linux's
 * figure is with its word-sized copy). */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_page(void *dst, const void *src)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (unsigned i = 0; i < PS / 8; i += 4) {
		d[i] = s[i];
		d[i + 1] = s[i + 1];
		d[i + 2] = s[i + 2];
		d[i + 3] = s[i + 3];
	}
}
static char page_buf[4096] __attribute__((aligned(64)));

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)	/* insertion sort: n is small */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static uint64_t disk_written(void)
{
	uint64_t d[6];

	diskstats(d);
	return d[2];	/* blocks */
}

static uint64_t disk_read(void)
{
	uint64_t d[6];

	diskstats(d);
	return d[1];
}

static uint64_t bsize;

static volatile char *map_file(const char *path, uint64_t len, int prot, int flags, int *fdp)
{
	int fd = open(path, (prot & PROT_WRITE) && (flags & MAP_SHARED) ? O_RDWR : O_RDONLY);
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		printf("bench: cannot map %s\n", path);
	if (fdp)
		*fdp = fd;
	else if (fd >= 0)
		close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Touch one byte a page over len bytes; instructions per page. */
static uint64_t scan(volatile char *p, uint64_t len)
{
	unsigned sum = 0;
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < len; i += PS)
		sum += (unsigned char)p[i];
	uint64_t t1 = rdinstret();
	(void)sum;
	return (t1 - t0) / (len / PS);
}

static volatile uint64_t *flags;

/* The anonymous fault's cost while another process waits on cold file
 * pages, against the same fault with nothing else going on. */
static void bench_anon_during_cold(void)
{
	const int n = NS;
	volatile char *a = mmap(NULL, 2 * n * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED || !flags)
		return;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdinstret();
		a[(uint64_t)i * PS] = 1;
		samples[i] = rdinstret() - t0;
	}
	uint64_t alone = median(samples, n);
	flags[0] = flags[1] = 0;
	fflush(stdout);
	pid_t f = fork();
	if (f == 0) {
		volatile char *c = map_file("/data/cold16.bin", MIB16, PROT_READ, MAP_SHARED, NULL);
		flags[0] = 1;
		if (c)
			scan(c, MIB16);
		flags[1] = 1;
		_exit(0);
	}
	while (!flags[0])
		sys_yield();
	int during = 0;
	for (int i = 0; i < n && !flags[1]; i++, during++) {
		uint64_t t0 = rdinstret();
		a[(uint64_t)(n + i) * PS] = 1;
		samples[i] = rdinstret() - t0;
	}
	int status;
	waitpid(f, &status, 0);
	printf("bench: anon_fault_during_cold_scan %lu instructions (median of %d; alone %lu)\n",
	       (unsigned long)(during ? median(samples, during) : 0), during, (unsigned long)alone);
	munmap((void *)a, 2 * n * PS);
}

static void bench_seq(volatile char **keep)
{
	uint64_t r0 = disk_read();
	volatile char *a = map_file("/data/seq16.bin", MIB16, PROT_READ, MAP_SHARED, NULL);

	if (!a)
		return;
	uint64_t per = scan(a, MIB16);
	printf("bench: file_seq_16mib_cold %lu instructions per page (disk read %lu bytes)\n",
	       (unsigned long)per, (unsigned long)((disk_read() - r0) * bsize));
	/* Cached now (a keeps the object): a second mapping. */
	volatile char *b = map_file("/data/seq16.bin", MIB16, PROT_READ, MAP_SHARED, NULL);
	if (b) {
		per = scan(b, MIB16);
		printf("bench: file_seq_16mib %lu instructions per page\n", (unsigned long)per);
		munmap((void *)b, MIB16);
	}
	/* mmap, memcpy of every page, munmap. */
	int fd = open("/data/seq16.bin", O_RDONLY);
	uint64_t t0 = rdinstret();
	void *c = mmap(NULL, MIB16, PROT_READ, MAP_SHARED, fd, 0);
	if (c != MAP_FAILED) {
		for (uint64_t i = 0; i < MIB16; i += PS)
			copy_page(page_buf, (char *)c + i);
		munmap(c, MIB16);
	}
	uint64_t t1 = rdinstret();
	close(fd);
	printf("bench: mmap_read_16mib %lu instructions per page\n",
	       (unsigned long)((t1 - t0) / (MIB16 / PS)));
	/* A read fault on a cached page, no fault-around. */
	volatile char *d = map_file("/data/seq16.bin", MIB16, PROT_READ, MAP_SHARED, NULL);
	if (d) {
		madvise((void *)d, MIB16, MADV_RANDOM);
		for (int i = 0; i < NS; i++) {
			uint64_t s0 = rdinstret();
			(void)d[(uint64_t)i * 16 * PS];
			samples[i] = rdinstret() - s0;
		}
		printf("bench: file_fault_warm %lu instructions (median of %d)\n",
		       (unsigned long)median(samples, NS), NS);
		/* mmap + touch + munmap of one cached page. */
		fd = open("/data/seq16.bin", O_RDONLY);
		for (int i = 0; i < NS; i++) {
			uint64_t s0 = rdinstret();
			volatile char *e = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, (off_t)(i * PS));
			if (e != MAP_FAILED) {
				(void)e[0];
				munmap((void *)e, PS);
			}
			samples[i] = rdinstret() - s0;
		}
		close(fd);
		printf("bench: mmap_munmap_file %lu instructions (median of %d)\n",
		       (unsigned long)median(samples, NS), NS);
		munmap((void *)d, MIB16);
	}
	*keep = a;
}

static void bench_write_faults(void)
{
	int fd = open("/wf", O_RDWR | O_CREAT | O_TRUNC, 0644);

	memset(page_buf, 'w', PS);
	for (int i = 0; i < NS; i++)
		write(fd, page_buf, PS);
	volatile char *s = mmap(NULL, NS * PS, RW, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		return;
	madvise((void *)s, NS * PS, MADV_RANDOM);
	for (int i = 0; i < NS; i++)
		(void)s[(uint64_t)i * PS];	/* cached and mapped clean */
	for (int i = 0; i < NS; i++) {
		uint64_t t0 = rdinstret();
		s[(uint64_t)i * PS] = 'x';
		samples[i] = rdinstret() - t0;
	}
	printf("bench: file_write_fault_shared %lu instructions (median of %d)\n",
	       (unsigned long)median(samples, NS), NS);
	volatile char *p = mmap(NULL, NS * PS, RW, MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED) {
		madvise((void *)p, NS * PS, MADV_RANDOM);
		for (int i = 0; i < NS; i++) {
			uint64_t t0 = rdinstret();
			p[(uint64_t)i * PS] = 'p';
			samples[i] = rdinstret() - t0;
		}
		printf("bench: file_write_fault_private %lu instructions (median of %d)\n",
		       (unsigned long)median(samples, NS), NS);
		munmap((void *)p, NS * PS);
	}
	msync((void *)s, NS * PS, MS_SYNC);
	munmap((void *)s, NS * PS);
	close(fd);
	unlink("/wf");
}

static void bench_cold_fault(void)
{
	volatile char *c = map_file("/data/cold.bin", 4 << 20, PROT_READ, MAP_SHARED, NULL);
	const int n = 64;

	if (!c)
		return;
	madvise((void *)c, 4 << 20, MADV_RANDOM);
	uint64_t r0 = disk_read();
	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdinstret();
		(void)c[(uint64_t)i * 16 * PS];
		samples[i] = rdinstret() - t0;
	}
	uint64_t r1 = disk_read();
	printf("bench: file_fault_cold %lu instructions (median of %d; disk read %lu bytes each)\n",
	       (unsigned long)median(samples, n), n, (unsigned long)((r1 - r0) * bsize / n));
	munmap((void *)c, 4 << 20);
}

/* msync(MS_SYNC) of a 64 MiB mapping (16384 pages, all cached and on the
 * disk) with 1, 256 scattered and no dirty pages. */
static void bench_msync(void)
{
	const uint64_t pages = 16384, len = pages * PS;
	int fd = open("/msync", O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		return;
	volatile char *p = mmap(NULL, len, RW, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("bench: cannot map 64 MiB\n");
		return;
	}
	for (uint64_t i = 0; i < pages; i++)
		p[i * PS] = (char)i;	/* every block allocated at the first msync */
	msync((void *)p, len, MS_SYNC);
	for (int dirty = 1; dirty <= 256; dirty *= 256) {
		uint64_t v[5], w0 = disk_written();
		int reps = dirty == 1 ? 5 : 3;
		for (int r = 0; r < reps; r++) {
			for (int i = 0; i < dirty; i++)
				p[(uint64_t)i * (pages / (uint64_t)dirty) * PS + (uint64_t)r] = 'd';
			uint64_t t0 = rdinstret();
			msync((void *)p, len, MS_SYNC);
			v[r] = rdinstret() - t0;
		}
		printf("bench: msync_%d_of_16384 %lu instructions (median of %d; disk wrote %lu "
		       "bytes each)\n", dirty, (unsigned long)median(v, reps), reps,
		       (unsigned long)((disk_written() - w0) * bsize / (uint64_t)reps));
	}
	/* Where msync_256's time goes: the write-backs (MS_ASYNC, then wait
	 * for the server to have run them), then the sync alone. */
	uint64_t m0[6], m1[6];
	mapstats(m0);
	for (int i = 0; i < 256; i++)
		p[(uint64_t)i * 64 * PS + 7] = 'a';
	uint64_t rd0 = disk_read(), t0 = rdinstret();
	msync((void *)p, len, MS_ASYNC);
	do {
		mapstats(m1);
	} while (m1[4] - m0[4] < 256);
	uint64_t t1 = rdinstret();
	sync();
	uint64_t t2 = rdinstret();
	printf("bench: msync_256_parts %lu instructions to write back, %lu to sync "
	       "(%lu blocks read)\n", (unsigned long)(t1 - t0), (unsigned long)(t2 - t1),
	       (unsigned long)(disk_read() - rd0));
	uint64_t v[5], w0 = disk_written();
	for (int r = 0; r < 5; r++) {
		uint64_t t0 = rdinstret();
		msync((void *)p, len, MS_SYNC);
		v[r] = rdinstret() - t0;
	}
	printf("bench: msync_clean_16384 %lu instructions (median of 5; disk wrote %lu bytes)\n",
	       (unsigned long)median(v, 5), (unsigned long)((disk_written() - w0) * bsize));
	munmap((void *)p, len);
	close(fd);
	unlink("/msync");
}

/* Read-around policies (docs/policies.md): a cold 16 MiB file mapped,
 * its policy chosen with madvise(PADV_POLICY_*) (and once with
 * MADV_SEQUENTIAL too), scanned a byte a page in order and in a random
 * page order (an odd multiplier mod 4096 pages visits each page once).
 * sparse: the first 256 pages of that random order (one page in 16).
 * The two files take turns, so each scan starts with the other one in
 * the file server's block cache. Every sequential scan comes first: a
 * random one frees its frames out of order, and fills that get scattered
 * frames cannot be mapped in runs (fault-around needs consecutive ones). Disk timing makes single runs noisy:
 * the median of three, with the pager's faults and the server's fills
 * (round trips) of the median run. */
static void bench_policies(void)
{
	static const struct { const char *name; int advice, hint; } pol[] = {
		{ "fixed", PADV_POLICY_FIXED, MADV_NORMAL },
		{ "adaptive", PADV_POLICY_ADAPTIVE, MADV_NORMAL },
		{ "none", PADV_POLICY_NONE, MADV_NORMAL },
		{ "adaptive_madv_sequential", PADV_POLICY_ADAPTIVE, MADV_SEQUENTIAL },
	};
	const uint64_t pages = MIB16 / PS;
	struct ipc_msg m;

	for (int kind = 0; kind < 3; kind++) {
		int random = kind > 0;
		uint64_t touched = kind == 2 ? pages / 16 : pages;
		for (unsigned k = 0; k < sizeof(pol) / sizeof(pol[0]); k++) {
			const char *path = random ? "/data/cold16.bin" : "/data/16mib.bin";
			uint64_t v[3], faults[3], fills[3], disk = 0, s0[6], s1[6];
			if (kind && pol[k].hint == MADV_SEQUENTIAL)
				continue;
			for (int r = 0; r < 3; r++) {
				volatile char *p = map_file(path, MIB16, PROT_READ, MAP_SHARED, NULL);
				unsigned sum = 0;
				if (!p || madvise((void *)p, MIB16, pol[k].advice) < 0 ||
				    madvise((void *)p, MIB16, pol[k].hint) < 0)
					return;
				m = (struct ipc_msg){ .info = ipc_info(PAGER_MEMINFO, 0, 0) };
				pager_call(&m);
				faults[r] = m.w[5];
				mapstats(s0);
				uint64_t r0 = disk_read(), t0 = rdinstret();
				for (uint64_t i = 0; i < touched; i++)
					sum += (unsigned char)p[(random ? (i * 2654435761u + 12345) % pages : i) * PS];
				v[r] = rdinstret() - t0;
				(void)sum;
				disk = (disk_read() - r0) * bsize;
				mapstats(s1);
				m = (struct ipc_msg){ .info = ipc_info(PAGER_MEMINFO, 0, 0) };
				pager_call(&m);
				faults[r] = m.w[5] - faults[r];
				fills[r] = s1[1] - s0[1];
				munmap((void *)p, MIB16);
				/* the other file through the block cache between runs */
				volatile char *q = map_file(random ? "/data/16mib.bin" : "/data/cold16.bin",
							    MIB16, PROT_READ, MAP_SHARED, NULL);
				if (q) {
					scan(q, MIB16);
					munmap((void *)q, MIB16);
				}
			}
			int mid = v[0] <= v[1] ? (v[1] <= v[2] ? 1 : v[0] <= v[2] ? 2 : 0) :
					     (v[0] <= v[2] ? 0 : v[1] <= v[2] ? 2 : 1);
			printf("bench: %s_scan_16mib_%s %lu instructions per page (median of 3; %lu "
			       "faults, %lu fills; disk read %lu bytes)\n",
			       kind == 2 ? "sparse" : random ? "random" : "seq",
			       pol[k].name, (unsigned long)(v[mid] / touched), (unsigned long)faults[mid],
			       (unsigned long)fills[mid], (unsigned long)disk);
		}
	}
}

/* only = "msync": the msync figures alone (a quick run while working on
 * the write-back path); "cold": the cold reads alone (tools/bench-cold.sh);
 * "policies": the read-around policies' scans alone. */
int run_bench(const char *only)
{
	struct ipc_msg m = { 0 };
	volatile char *keep = NULL;

	if (fs_start(libsys_start_info.devices, libsys_start_info.ndevices) <= 0) {
		printf("bench: no disk\n");
		return 1;
	}
	fs_call(FS_STATFS, &m, 0);
	bsize = m.w[2];
	flags = shared_page();
	if (!strcmp(only, "policies")) {	/* the read-around figures alone */
		bench_policies();
		printf("bench: done\n");
		return 0;
	}
	if (!strcmp(only, "msync") || !strcmp(only, "cold")) {
		if (only[0] == 'm')
			bench_msync();
		else
			bench_seq(&keep);
		if (only[0] == 'c')
			bench_cold_fault();
		if (keep)
			munmap((void *)keep, MIB16);
		printf("bench: done\n");
		return 0;
	}
	bench_anon_during_cold();
	bench_seq(&keep);
	bench_write_faults();
	bench_cold_fault();
	bench_msync();
	bench_policies();
	if (keep)
		munmap((void *)keep, MIB16);
	printf("bench: done\n");
	return 0;
}
