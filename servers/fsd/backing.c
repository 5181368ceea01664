/*
 * The file server's half of file-backed mappings (docs/page-cache.md):
 *  - FS_MMAP: a client maps an open file. The descriptor's mode is
 *    checked here; the pager makes the mapping (PAGER_OBJ_MAP) and its
 *    file object, the page cache of that file.
 *  - holds: an inode the pager has an object for stays alive (unlinked,
 *    closed) until the pager releases it (BACKING_RELEASE).
 *  - backing requests: the pager queues them and notifies; we fetch them
 *    (PAGER_OBJ_FETCH) and run each like a client request, parked while
 *    the disk reads, then answer PAGER_OBJ_DONE. The pager never waits
 *    on us: we call it, it answers at once.
 *  - coherence: read() and write() on a file with an object go through
 *    the pager's cached pages (PAGER_OBJ_PEEK maps them into our window),
 *    so a store through a mapping is read at once and a write() is seen
 *    at once by every mapping; size changes go to the pager
 *    (PAGER_OBJ_SIZE). Files nobody mapped pay one test of a counter.
 */
#include <string.h>
#include "libsys.h"
#include "abi/pager.h"
#include "fsd.h"
#include "wb_runs.h"

#define ERR_NFILE	23	/* ENFILE: the hold table is full */
#define ERR_OVERFLOW	139	/* EOVERFLOW (picolibc): offset + length wraps */
#define S_IFMT		0xf000
#define S_IFREG		0x8000

/*
 * Holds: per inode, how many pager objects were made for it whose
 * BACKING_RELEASE we have not run yet (the pager may release an object
 * and make a new one for the same inode before we fetch the release),
 * and the size we last told the pager.
 */
#define HOLDS_MAX	4096
#define HOLD_HASH	1024
#define HOLDS_PER_CLIENT	256	/* objects one process's mappings made and keep */
struct hold {
	uint32_t ino;		/* 0: free */
	uint32_t objects;
	int64_t maker;		/* the pid whose FS_MMAP made the first object */
	uint64_t size_told;
	uint64_t ra_next;	/* read-ahead: the page a sequential fill starts at */
	uint64_t ra_until;	/* pages before this are read or being read */
	int16_t next;		/* hash chain: index, or -1 */
};
static struct hold holds[HOLDS_MAX];
static int16_t hold_hash[HOLD_HASH];
static unsigned nholds;

/*
 * Holds charged to the process that made them: one process cannot take
 * the whole table (it could map thousands of files, closing each
 * descriptor after mmap). The charge ends with its maker
 * (backing_maker_ended): a child forked with the mappings keeps the
 * holds as long as it likes, and a table of ended makers' charges would
 * fill (a chain of 256 processes, each mapping a file and handing the
 * lot to its child before it ends, left every new process's mmap of a
 * file nobody maps, exec included, ENOMEM). Pids are not reused, so a
 * hold whose maker's charge went is released against nobody.
 */
#define MAKERS	256
static struct maker { int64_t pid; uint32_t holds; } makers[MAKERS];

static struct maker *maker_of(int64_t pid, bool make)
{
	struct maker *free_one = NULL;

	for (int i = 0; i < MAKERS; i++) {
		if (makers[i].holds && makers[i].pid == pid)
			return &makers[i];
		if (!makers[i].holds && !free_one)
			free_one = &makers[i];
	}
	if (make && free_one)
		free_one->pid = pid;
	return make ? free_one : NULL;
}

/* pid ended: what it made is charged to nobody now. */
void backing_maker_ended(int64_t pid)
{
	struct maker *mk = maker_of(pid, false);

	if (mk)
		mk->holds = 0;
}

/* Backing requests being run (fetched, not yet answered). */
#define BREQ_MAX	(2 * PAGER_OBJ_FETCH_MAX)
struct breq {
	struct pager_backing_req q;
	bool used;
	struct direct_fill d;	/* FILL: read straight into the frames (direct_fill.c) */
};
static struct breq breqs[BREQ_MAX];
static struct breq *bparked[BREQ_MAX];
static unsigned nbreqs, nbparked;

bool backing_more;		/* fetch again: the last fetch did not drain the queue */
static bool draining;		/* backing_drain: run everything synchronously */
static uint64_t window;		/* the backing window (PAGER_FS_REGISTER's w3), 0: none */
static uint64_t req_area_end;	/* requests' pages lie in [window, req_area_end) */
static uint64_t peek_area;	/* our pages for PAGER_OBJ_PEEK */

/* FS_MAPSTATS: requests run and pages moved. */
static uint64_t fills, pages_filled, writebacks, pages_written;

void backing_init(uint64_t win)
{
	for (int i = 0; i < HOLD_HASH; i++)
		hold_hash[i] = -1;
	if (!win || (win & (PAGE_SIZE - 1)))
		return;	/* a pager without file objects: FS_MMAP still asks it */
	window = win;
	req_area_end = win + (BACKING_WINDOW_PAGES - BACKING_PEEK_PAGES) * PAGE_SIZE;
	peek_area = req_area_end;
}

static struct hold *hold_find(uint32_t ino)
{
	if (!nholds)
		return NULL;
	for (int i = hold_hash[ino % HOLD_HASH]; i >= 0; i = holds[i].next)
		if (holds[i].ino == ino)
			return &holds[i];
	return NULL;
}

bool backing_holds(uint32_t ino)
{
	return hold_find(ino) != NULL;
}

/* Room for a new hold of ino made by pid: 0, -ERR_NFILE (the table is
 * full) or -ERR_NOMEM (pid's share is used up, as Linux's mmap past
 * vm.max_map_count). */
static int hold_room(uint32_t ino, int64_t pid)
{
	struct maker *mk;

	if (hold_find(ino))
		return 0;
	if (nholds >= HOLDS_MAX)
		return -ERR_NFILE;
	if (!(mk = maker_of(pid, true)) || mk->holds >= HOLDS_PER_CLIENT)
		return -ERR_NOMEM;
	return 0;
}

static void hold_get(uint32_t ino, uint64_t size, int64_t pid)
{
	struct hold *h = hold_find(ino);

	if (!h) {
		struct maker *mk = maker_of(pid, true);
		if (!mk)
			return;	/* hold_room said there was room: cannot happen */
		int i = 0;
		while (i < HOLDS_MAX && holds[i].ino)
			i++;
		if (i == HOLDS_MAX)
			return;	/* hold_room said there was room: cannot happen */
		h = &holds[i];
		*h = (struct hold){ .ino = ino, .maker = pid, .next = hold_hash[ino % HOLD_HASH] };
		mk->holds++;
		hold_hash[ino % HOLD_HASH] = (int16_t)i;
		nholds++;
	}
	h->objects++;
	h->size_told = size;
}

/* BACKING_RELEASE: one object fewer; with the last, the inode goes if it
 * is unlinked and nobody has it open. */
static void hold_put(uint32_t ino)
{
	struct hold *h = hold_find(ino);

	if (!h || --h->objects)
		return;
	int idx = (int)(h - holds);
	for (int16_t *p = &hold_hash[ino % HOLD_HASH]; *p >= 0; p = &holds[*p].next)
		if (*p == idx) {
			*p = h->next;
			break;
		}
	struct maker *mk = maker_of(h->maker, false);
	if (mk)
		mk->holds--;
	h->ino = 0;
	nholds--;
	if (!fsd_is_open(NULL, ino))
		ext2_inode_release(&fs, ino);	/* frees it if unlinked */
}

static int64_t obj_call(uint64_t label, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct ipc_msg m = { .info = ipc_info(label, 0, 0), .w = { a, b, c, d } };

	return pager_call(&m);
}

/* FS_MMAP on an open file (ino, opened with oflags) for client pid. */
int64_t backing_mmap(int64_t pid, uint32_t ino, uint32_t oflags, const struct fs_mmap_req *q)
{
	uint64_t kind = q->flags & (PMAP_SHARED | PMAP_PRIVATE);
	int acc = (int)(oflags & FS_O_ACCMODE);
	struct ext2_stat st;
	int e;

	if (!q->length || (q->flags & PMAP_ANONYMOUS) ||
	    (kind != PMAP_SHARED && kind != PMAP_PRIVATE) || (q->offset & (PAGE_SIZE - 1)))
		return -ERR_INVAL;
	if (q->length > USER_TOP)
		return -ERR_NOMEM;
	/* Past the largest file offset (Linux: MAX_LFS_FILESIZE), or wrapping. */
	if (q->offset > (1ul << 63) - ((q->length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))
		return -ERR_OVERFLOW;
	if ((e = ext2_stat(&fs, ino, &st)) < 0)
		return e == -ERR_AGAIN ? FSD_PARK_DISK : e;
	if ((st.mode & S_IFMT) != S_IFREG)
		return -ERR_NODEV;	/* a directory (or anything but a file) */
	if (acc == FS_O_WRONLY || (kind == PMAP_SHARED && (q->prot & MAP_W) && acc == FS_O_RDONLY))
		return -ERR_ACCES;
	if ((e = hold_room(ino, pid)) < 0)
		return e;
	struct pager_obj_map om = {
		.pid = (uint64_t)pid, .key = ino, .size = st.size, .hint = q->hint,
		.length = q->length, .prot = (uint32_t)q->prot, .flags = (uint32_t)q->flags,
		.offset = q->offset,
	};
	/* Guard the conversions: the pager sees exactly what was asked. */
	if (om.prot != q->prot || om.flags != q->flags)
		return -ERR_INVAL;
	/* A descriptor that cannot write: no store through its mapping may
	 * ever reach the file, even after mprotect adds PROT_WRITE. */
#ifdef PMAP_FILE_RDONLY
	/* Only we say so; the pager keeps the mapping from becoming
	 * writable (mprotect: EACCES, as Linux). */
	if (q->flags & PMAP_FILE_RDONLY)
		return -ERR_INVAL;
	if (kind == PMAP_SHARED && acc == FS_O_RDONLY)
		om.flags |= PMAP_FILE_RDONLY;
#else
	/* The pager has no "may not write" mark: map it private. Until a
	 * page is written, a private mapping's page is the file's cached
	 * page itself (later changes seen, one copy in memory), so a
	 * read-only shared mapping behaves the same; a store after mprotect
	 * stays in the process (Linux refuses that mprotect instead). */
	if (kind == PMAP_SHARED && acc == FS_O_RDONLY)
		om.flags = (om.flags & ~(uint32_t)PMAP_SHARED) | PMAP_PRIVATE;
#endif
	struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_MAP, sizeof(om), 0) };
	memcpy(ipcbuf(), &om, sizeof(om));
	int64_t r = pager_call(&m);
	if (r >= 0 && m.w[1] == 1)
		hold_get(ino, st.size, pid);
	return r;
}

/* PAGER_OBJ_PEEK: which of pages [first, first+n) of ino the pager has
 * cached; those are mapped R/W at peek_area + i pages until our next
 * PAGER_OBJ_* call. */
static uint64_t peek(uint32_t ino, uint64_t first, uint64_t n)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_PEEK, 0, 0),
			     .w = { ino, first, n, peek_area } };

	if (!window || !n || n > BACKING_PEEK_PAGES)
		return 0;
	/* The mask is also in w1: with bit 63 set, w0 reads as negative. */
	int64_t r = pager_call(&m);
	if (r < 0 && r > -4096)
		return 0;	/* an error: nothing peeked */
	return m.w[1] & (n == 64 ? ~0ul : (1ul << n) - 1);
}

/* Copy between buf and the peeked pages (mask, from page first) of
 * [off, off+n): into the cache (a write) or out of it (a read). */
static void copy_peeked(uint64_t mask, uint64_t first, uint64_t off, uint8_t *buf, uint64_t n,
			bool to_cache)
{
	uint64_t last = (off + n - 1) >> PAGE_SHIFT;

	for (uint64_t p = first; mask && p <= last; p++) {
		if (!(mask & (1ul << (p - first))))
			continue;
		uint64_t lo = p << PAGE_SHIFT, hi = lo + PAGE_SIZE;
		if (lo < off)
			lo = off;
		if (hi > off + n)
			hi = off + n;
		uint8_t *w = (uint8_t *)(peek_area + ((p - first) << PAGE_SHIFT) + (lo & (PAGE_SIZE - 1)));
		if (to_cache)
			memcpy(w, buf + (lo - off), hi - lo);
		else
			memcpy(buf + (lo - off), w, hi - lo);
	}
}

/* Peek the pages of [off, off+n) and copy as copy_peeked; the mask. */
static uint64_t cache_copy(uint32_t ino, uint64_t off, uint8_t *buf, uint64_t n, bool to_cache)
{
	uint64_t first = off >> PAGE_SHIFT, last = (off + n - 1) >> PAGE_SHIFT;
	uint64_t mask = peek(ino, first, last - first + 1);

	copy_peeked(mask, first, off, buf, n, to_cache);
	return mask;
}

/* read()/pread() of a file the pager caches: its cached pages are the
 * file's newest bytes (stores through mappings); the block cache has the
 * rest. If every page of the range is cached, the disk is not needed. */
int64_t backing_read(uint32_t ino, uint64_t off, uint8_t *out, uint64_t count)
{
	struct ext2_stat st;
	int64_t n;
	int e;

	if (!count)
		return 0;
	if ((e = ext2_stat(&fs, ino, &st)) < 0)
		return e;
	if (off >= st.size)
		return 0;
	if (count > st.size - off)
		count = st.size - off;
	uint64_t first = off >> PAGE_SHIFT, pages = ((off + count - 1) >> PAGE_SHIFT) - first + 1;
	uint64_t mask = cache_copy(ino, off, out, count, false);
	if (mask == (1ul << pages) - 1)
		return (int64_t)count;
	if ((n = ext2_read(&fs, ino, off, out, count)) <= 0)
		return n;
	/* The peeked pages stay mapped until our next call to the pager,
	 * and the read made none: lay them over the block cache's bytes. */
	copy_peeked(mask, first, off, out, (uint64_t)n, false);
	return n;
}

/* Tell the pager ino's size if it changed (a write past the end, a
 * truncate). */
static void size_update(struct hold *h, uint32_t ino)
{
	struct ext2_stat st;

	if (ext2_stat(&fs, ino, &st) < 0 || st.size == h->size_told)
		return;
	uint64_t old = h->size_told, tail = old & (PAGE_SIZE - 1);
	h->size_told = st.size;
	obj_call(PAGER_OBJ_SIZE, ino, st.size, 0, 0);
	/* Grown: stores through a mapping past the old end, in the old last
	 * page, never reached the file; the cache must read zero there too. */
	if (st.size > old && tail && (peek(ino, old >> PAGE_SHIFT, 1) & 1)) {
		uint64_t end = st.size - (old & ~(PAGE_SIZE - 1));
		memset((uint8_t *)peek_area + tail, 0, (end < PAGE_SIZE ? end : PAGE_SIZE) - tail);
	}
}

/* write()/pwrite() wrote data[0..n) at off to the block cache: the
 * pager's cached pages get the same bytes, so every mapping sees them. */
void backing_wrote(uint32_t ino, uint64_t off, const uint8_t *data, uint64_t n)
{
	struct hold *h = hold_find(ino);

	if (!h || !n)
		return;
	size_update(h, ino);
	cache_copy(ino, off, (uint8_t *)data, n, true);
}

/* ftruncate, O_TRUNC: the pager follows the size. A shrink then runs
 * every backing request queued before it (the pager's, fetched now, and
 * our parked ones), clipped at the new end: a write-back queued before
 * the shrink but run after a later regrow would write the old bytes
 * where the file must read zeros. Rare (a mapped file shrinking), so
 * the drain's synchronous disk waits are fine. */
void backing_resized(uint32_t ino)
{
	struct hold *h = hold_find(ino);
	uint64_t old;

	if (!h)
		return;
	old = h->size_told;
	size_update(h, ino);
	if (h->size_told < old)
		backing_drain();
}

/* --- backing requests --- */

static bool window_ok(const struct pager_backing_req *q)
{
	uint64_t len = (uint64_t)q->count << PAGE_SHIFT;

	return window && q->count && q->count <= BACKING_WINDOW_PAGES &&
	       !(q->window & (PAGE_SIZE - 1)) && q->window >= window &&
	       q->window < req_area_end && len <= req_area_end - q->window &&
	       q->index <= (UINT64_MAX >> PAGE_SHIFT) - q->count;
}

/* BACKING_FILL: the file's bytes into the (zeroed) window pages; holes
 * and the part past the end stay zero. Restarted from the first byte
 * after a park: a write() may have changed what was copied before. */
static int64_t run_fill(const struct pager_backing_req *q)
{
	uint64_t off = q->index << PAGE_SHIFT, len = (uint64_t)q->count << PAGE_SHIFT, done = 0;
	uint8_t *dst = (uint8_t *)q->window;
	int64_t n = 0;

	while (done < len && (n = ext2_read(&fs, q->key, off + done, dst + done, len - done)) > 0)
		done += (uint64_t)n;
	if (n < 0)
		return n;
	/* What a read ended short of (EOF, or a truncate since) must be
	 * zero: the pager gave zeroed pages, but a restart may have copied
	 * bytes past today's end. */
	memset(dst + done, 0, len - done);
	fills++;
	pages_filled += q->count;
	return 0;
}

/* Small fills that follow each other (a policy that reads a page a
 * fault): the block cache's read-ahead (readahead, below) keeps the disk
 * ahead of them, which one small direct read at a time cannot. */
static bool small_sequential(const struct pager_backing_req *q)
{
	struct hold *h = hold_find(q->key);

	return h && q->count < BACKING_FILL_MAX &&
	       (q->index == h->ra_next || q->index + q->count == h->ra_next);
}

/* BACKING_WRITEBACK: bytes of the window pages to the file, never past
 * its end (the file may have shrunk since the pager queued this). */
static int64_t run_writeback(const struct pager_backing_req *q)
{
	uint64_t off = q->index << PAGE_SHIFT, bytes = q->bytes, size;
	int64_t n;

	if (bytes > (uint64_t)q->count << PAGE_SHIFT)
		return -ERR_INVAL;
	/* The size, and (nowait: parked until the disk has them) the blocks
	 * the write reads: the block map down to the first block, a partly
	 * written last one. */
	if ((n = ext2_write_prepare(&fs, q->key, off, bytes, &size)) < 0)
		return n;
	if (off >= size || !bytes)
		return 0;
	if (bytes > size - off)
		bytes = size - off;
	ext2_set_nowait(&fs, false);
	n = ext2_write(&fs, q->key, off, (const void *)q->window, bytes);
	if (n < 0)
		return n == -ERR_NOSPC ? n : -ERR_IO;
	writebacks++;
	pages_written += q->count;
	return (uint64_t)n < bytes ? -ERR_NOSPC : 0;
}

/*
 * BACKING_WRITEBACK_RUNS: scattered runs of pages, one request. Window
 * page 0 is the run table (abi/pager.h), every entry checked: ascending
 * and apart, within the request's pages, counts that cannot wrap. Each
 * run's pages go to the file as a piece of one gathered write (one inode
 * load and store for all), never past the file's end.
 */
static int64_t run_writeback_runs(const struct pager_backing_req *q)
{
	struct ext2_wpiece v[BACKING_RUNS_MAX];
	uint64_t size, want = 0;
	int n = wb_runs_check(q, (const struct pager_backing_run *)q->window, v);
	int64_t r;

	if (n < 0)
		return n;
	if ((r = ext2_write_prepare_v(&fs, q->key, v, (uint32_t)n, &size)) < 0)
		return r;
	/* The file may have shrunk since the pager queued this. */
	for (int i = 0; i < n; i++) {
		if (v[i].off >= size)
			v[i].len = 0;
		else if (v[i].len > size - v[i].off)
			v[i].len = size - v[i].off;
		want += v[i].len;
	}
	if (!want)
		return 0;
	ext2_set_nowait(&fs, false);
	r = ext2_write_v(&fs, q->key, v, (uint32_t)n);
	if (r < 0)
		return r == -ERR_NOSPC ? r : -ERR_IO;
	writebacks++;
	pages_written += q->count - 1;
	return (uint64_t)r < want ? -ERR_NOSPC : 0;
}

/* Whether a write-back of key waits parked: a SYNC of key must not run
 * before it (the pager queues a SYNC right behind the write-backs it
 * covers, abi/pager.h). */
static bool writeback_parked(uint32_t key)
{
	for (unsigned i = 0; i < nbparked; i++)
		if (bparked[i]->q.key == key && (bparked[i]->q.op == BACKING_WRITEBACK ||
						 bparked[i]->q.op == BACKING_WRITEBACK_RUNS))
			return true;
	return false;
}

/*
 * Read-ahead for fills that follow each other (the pager's read-around is
 * BACKING_FILL_MAX pages a fault): keep the next READAHEAD_PAGES of the
 * file being read into the block cache while the pager maps these, so a
 * sequential scan finds the disk's data there or on its way, in larger
 * requests. Started when a fill comes within half the window of its end.
 */
#define READAHEAD_PAGES	64

static void readahead(const struct pager_backing_req *q)
{
	struct hold *h = hold_find(q->key);
	uint64_t end = q->index + q->count;

	if (!h)
		return;
	if (q->index != h->ra_next && end != h->ra_next) {
		h->ra_next = end;	/* not sequential: start over from here */
		h->ra_until = end;
		return;
	}
	h->ra_next = end;
	if (end + READAHEAD_PAGES / 2 < h->ra_until)
		return;
	uint64_t from = h->ra_until > end ? h->ra_until : end, to = end + READAHEAD_PAGES;
	bool was = fs.nowait_wanted;
	ext2_set_nowait(&fs, true);
	if (ext2_readahead(&fs, q->key, from << PAGE_SHIFT, (to - from) << PAGE_SHIFT) == -ERR_AGAIN)
		disk_start_async();	/* nobody waits on it: failing is fine */
	ext2_set_nowait(&fs, was);
	h->ra_until = to;
}

static void breq_free(struct breq *b)
{
	b->used = false;
	nbreqs--;
}

/*
 * Answers. A write-back's answer is held back to go with the next one
 * (PAGER_OBJ_DONE takes up to BACKING_DONE_MAX, in order): nobody waits
 * on it but a SYNC queued behind it, whose answer then carries it, so
 * an msync's write-back and sync cost one call. Held answers go out
 * before we wait for the pager's next wake (answers_flush).
 */
static uint64_t held[BACKING_DONE_MAX - 1][2];
static unsigned nheld;
/* A DONE's reply said the pager has requests queued (our answer may
 * queue more: a RELEASE after a file's last write-back). */
static bool done_more;

static void done_call(uint64_t token, uint64_t result)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_DONE, 0, 0) };
	unsigned k = 0;

	for (; k < nheld; k++) {
		m.w[2 * k] = held[k][0];
		m.w[2 * k + 1] = held[k][1];
	}
	nheld = 0;
	if (token) {
		m.w[2 * k] = token;
		m.w[2 * k + 1] = result;
	}
	if (m.w[0] && pager_call(&m) >= 0 && m.w[1])
		done_more = true;
}

static void answers_flush(void)
{
	if (nheld)
		done_call(0, 0);
}

static void answer(struct breq *b, int64_t r)
{
	uint64_t result = (uint64_t)(r < 0 && r != -ERR_NOSPC ? -ERR_IO : r < 0 ? r : 0);
	bool wb = b->q.op == BACKING_WRITEBACK || b->q.op == BACKING_WRITEBACK_RUNS;

	if (wb && nheld < BACKING_DONE_MAX - 1) {
		held[nheld][0] = b->q.token;
		held[nheld++][1] = result;
	} else {
		done_call(b->q.token, result);
	}
	breq_free(b);
}

static int64_t run_op(const struct pager_backing_req *q)
{
	if (q->op == BACKING_FILL)
		return run_fill(q);
	return q->op == BACKING_WRITEBACK ? run_writeback(q) : run_writeback_runs(q);
}

static void breq_run(struct breq *b)
{
	const struct pager_backing_req *q = &b->q;
	int64_t r;

	if (q->op == BACKING_RELEASE) {
		hold_put(q->key);
		breq_free(b);
		return;
	}
	if (!hold_find(q->key)) {	/* not a file the pager got from us */
		answer(b, -ERR_IO);
		return;
	}
	if (q->op == BACKING_SYNC) {
		if (writeback_parked(q->key)) {	/* after it, in order */
			bparked[nbparked++] = b;
			return;
		}
		answer(b, ext2_fsync(&fs, q->key));
		return;
	}
	if ((q->op != BACKING_FILL && q->op != BACKING_WRITEBACK &&
	     q->op != BACKING_WRITEBACK_RUNS) || !window_ok(q)) {
		answer(b, -ERR_IO);
		return;
	}
	/* Nowait: a block not cached parks the request while the disk
	 * reads it (the fill's data; the write-back's block map). Not while
	 * draining for a sync: that waits for everything anyway. */
	bool was = fs.nowait_wanted;
	ext2_set_nowait(&fs, !draining && nbparked < BREQ_MAX);
	r = q->op == BACKING_FILL ? direct_fill_start(b, &b->d, q, !draining && !small_sequential(q)) : 0;
	if (r == 1) {		/* the disk is on it: answered when it is done */
		ext2_set_nowait(&fs, was);
		return;
	}
	if (r == 0)
		r = run_op(q);
	ext2_set_nowait(&fs, was);
	if (r == -ERR_AGAIN && disk_start_async() < 0) {
		ext2_set_nowait(&fs, false);	/* wait here */
		r = run_op(q);
		ext2_set_nowait(&fs, was);
	}
	if (q->op == BACKING_FILL && !draining && r != -ERR_AGAIN)
		readahead(q);
	if (r == -ERR_AGAIN) {
		bparked[nbparked++] = b;
		return;
	}
	answer(b, r);
}

/* A fill's direct reads all completed (disk.c). */
void backing_direct_done(void *owner, int status)
{
	struct breq *b = owner;
	int r = direct_fill_end(&b->d, b->q.count, status);

	if (r == 1) {		/* the file changed meanwhile: copy it again */
		breq_run(b);
		return;
	}
	if (r == 0) {
		fills++;
		pages_filled += b->q.count;
	}
	answer(b, r);
}

/* A disk read completed: run the parked requests again. */
static void retry_parked(void);

void backing_retry(void)
{
	retry_parked();
	direct_fill_flush();
}

static void retry_parked(void)
{
	struct breq *again[BREQ_MAX];
	unsigned n = nbparked;

	memcpy(again, bparked, n * sizeof(again[0]));
	nbparked = 0;
	for (unsigned i = 0; i < n; i++)
		breq_run(again[i]);
	answers_flush();
}

/* The pager notified us (or an earlier fetch left requests queued):
 * fetch and run until its queue is empty or our table is full. Returns
 * whether the pager has process ends for PAGER_FS_DEAD (FETCH's w1; 1
 * too when we did not ask). */
static bool fetch_all(void);

bool backing_fetch(void)
{
	bool ends = fetch_all();

	direct_fill_flush();	/* the fills gathered into disk reads go now */
	return ends;
}

static bool fetch_all(void)
{
	struct pager_backing_req batch[PAGER_OBJ_FETCH_MAX];
	bool ends = true, more;

	backing_more = false;
	while (BREQ_MAX - nbreqs >= PAGER_OBJ_FETCH_MAX) {
		done_more = false;
		/* w1 = 1: a pager that leaves w1 as it came says "ask". */
		/* Likewise w2 = 1: "more queued, fetch again". */
		struct ipc_msg m = { .info = ipc_info(PAGER_OBJ_FETCH, 0, 0), .w = { 0, 1, 1 } };
		int64_t n = pager_call(&m);
		if (n < 0)
			return true;
		ends = m.w[1] != 0;
		more = m.w[2] != 0;
		if (n == 0)
			return ends;
		if ((uint64_t)n > PAGER_OBJ_FETCH_MAX)
			n = PAGER_OBJ_FETCH_MAX;
		if (ipc_len(m.info) < (uint64_t)n * sizeof(batch[0]))
			n = (int64_t)(ipc_len(m.info) / sizeof(batch[0]));
		memcpy(batch, ipcbuf(), (uint64_t)n * sizeof(batch[0]));
		for (int64_t i = 0; i < n; i++) {
			struct breq *b = breqs;
			while (b->used)
				b++;
			b->q = batch[i];
			b->used = true;
			b->d = (struct direct_fill){ 0 };
			nbreqs++;
			breq_run(b);
		}
		answers_flush();
		if (!more && !done_more)
			return ends;
	}
	backing_more = true;	/* no room now: fetch when some are answered */
	return ends;
}

/*
 * Before FS_SYNC and FS_FSYNC: run every backing request the pager has
 * queued, and the parked ones, waiting for the disk. A process's exit or
 * munmap queues the write-back of its dirty pages and then the release
 * of the file; init's sync at shutdown must find them done, or the
 * stores and an unlinked file's freeing would be lost.
 */
void backing_drain(void)
{
	if (!nholds && !nbreqs)
		return;		/* no file object: nothing can be queued */
	draining = true;
	backing_retry();
	backing_fetch();
	draining = false;
}

/* FS_FSYNC of a mapped file: the pages dirtied through mappings are part
 * of the file's data, so the pager queues their write-back first (the
 * drain that follows runs it). */
void backing_flush(uint32_t ino)
{
	if (backing_holds(ino))
		(void)obj_call(PAGER_OBJ_FLUSH, ino, 0, 0, 0);
}

/* Whether the main loop has backing work to do. */
bool backing_wants_fetch(void)
{
	return backing_more && BREQ_MAX - nbreqs >= PAGER_OBJ_FETCH_MAX;
}

int64_t backing_stats(struct ipc_msg *reply)
{
	reply->w[1] = fills;
	reply->w[2] = pages_filled;
	reply->w[3] = writebacks;
	reply->w[4] = pages_written;
	reply->w[5] = nholds;
	return 0;
}
