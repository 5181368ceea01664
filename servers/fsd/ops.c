/*
 * The file server's requests: one handler per FS_* label over the
 * clients' descriptor tables (clients.c) and the ext2 engine; a pipe's
 * calls go to pipe.c. Every field of every message is checked here; a
 * malformed request gets an error reply and changes nothing.
 */
#include <string.h>
#include "libsys.h"
#include "fsd.h"
#include "clients.h"


/* The payload as path(s): one NUL-free path of 1..FS_PATH_MAX bytes, or
 * with old_len two of them separated by a NUL. */
static int get_path(struct req *r, char *buf, uint64_t from, uint64_t len)
{
	if (len == 0)
		return -ERR_NOENT;
	if (len > FS_PATH_MAX)
		return -ERR_NAMETOOLONG;
	if (from + len > r->len || memchr(r->data + from, 0, len))
		return -ERR_INVAL;
	memcpy(buf, r->data + from, len);
	buf[len] = 0;
	return 0;
}

static int get_two_paths(struct req *r, char *a, char *b)
{
	struct fs_path_req q;
	int e;

	memcpy(&q, r->m.w, sizeof(q));
	if (q.old_len >= r->len || r->data[q.old_len] != 0)
		return -ERR_INVAL;
	if ((e = get_path(r, a, 0, q.old_len)) < 0)
		return e;
	return get_path(r, b, q.old_len + 1, r->len - q.old_len - 1);
}

static void to_fs_stat(const struct ext2_stat *s, struct fs_stat *o)
{
	memset(o, 0, sizeof(*o));
	o->ino = s->ino;
	o->mode = s->mode;
	o->nlink = s->nlink;
	o->uid = s->uid;
	o->gid = s->gid;
	o->size = s->size;
	o->blocks = s->blocks;
	o->blksize = s->blksize;
	o->atime = s->atime;
	o->mtime = s->mtime;
	o->ctime = s->ctime;
}

#define PARK(e) ((e) == -ERR_AGAIN ? FSD_PARK_DISK : (e))

/*
 * Prefetch for the calls that change things: the engine does those with
 * synchronous reads, which stop the server for a disk round trip. Walking
 * the same path, or reading the same range, in nowait mode first parks
 * the request until those blocks are cached; then the change mostly finds
 * them there (what is left: bitmaps and blocks being allocated). The
 * lookup's own error does not matter: the change reports its own.
 */
static int prefetch_path(const char *path)
{
	uint32_t ino;

	return ext2_lookup(&fs, path, &ino) == -ERR_AGAIN ? FSD_PARK_DISK : 0;
}

/* The inode, and for a write to [off, off+len): the block map down to
 * the first block, and the last block if the write ends inside it (the
 * engine reads a block it changes in part; whole blocks it need not). */
static int prefetch_range(uint32_t ino, uint64_t off, uint64_t len)
{
	uint64_t size;

	return ext2_write_prepare(&fs, ino, off, len, &size) == -ERR_AGAIN ? FSD_PARK_DISK : 0;
}

static int64_t do_open(struct client *c, struct req *r)
{
	static char path[FS_PATH_MAX + 1];
	struct fs_open_req q;
	struct ext2_stat st;
	uint32_t ino;
	int e, fd, acc;

	memcpy(&q, r->m.w, sizeof(q));
	acc = (int)(q.flags & FS_O_ACCMODE);
	if ((q.flags & ~(uint64_t)(FS_O_KNOWN | FS_O_CLOEXEC)) || acc == 3)
		return -ERR_INVAL;
	if ((e = get_path(r, path, 0, r->len)) < 0)
		return e;
	if ((fd = fd_lowest(c)) < 0)
		return fd;
	/* Read-only steps first (they may park), then the changes. */
	e = ext2_lookup(&fs, path, &ino);
	if (e == -ERR_AGAIN)
		return FSD_PARK_DISK;
	bool create = e == -ERR_NOENT && (q.flags & FS_O_CREAT);
	if (e < 0 && !create)
		return e;
	if (e == 0 && (q.flags & FS_O_CREAT) && (q.flags & FS_O_EXCL))
		return -ERR_EXIST;
	/* The description before the create: an open refused for want of
	 * one must leave no file behind. */
	int idx = -1;
	for (int i = 0; i < (int)fsd_files_max && i < MAX_FILES && idx < 0; i++)
		if (!files[i].refs)
			idx = i;
	if (idx < 0)
		return -ERR_NFILE;
	if (create) {
		if ((e = ext2_create(&fs, path, (uint16_t)(q.mode & 0777), true, &ino)) < 0)
			return e;
		/* Changed: this request must not park any more (run again, its
		 * lookup would find its own file: EEXIST under O_EXCL). */
		ext2_set_nowait(&fs, false);
	}
	if ((e = ext2_stat(&fs, ino, &st)) < 0)
		return PARK(e);
	bool dir = (st.mode & 0xf000) == 0x4000;
	if (dir && acc != FS_O_RDONLY)
		return -ERR_ISDIR;
	if (!dir && (q.flags & FS_O_DIRECTORY))
		return -ERR_NOTDIR;
	/* The mode a new file was just given does not limit its creator's
	 * open (POSIX: open(O_CREAT|O_RDWR, 0444) succeeds). */
	if (!create && ((acc != FS_O_WRONLY && !(st.mode & 0400)) ||
			(acc != FS_O_RDONLY && !(st.mode & 0200))))
		return -ERR_ACCES;
	if ((q.flags & FS_O_TRUNC) && acc != FS_O_RDONLY && st.size &&
	    (e = ext2_truncate(&fs, ino, 0)) < 0)
		return e;
	if ((q.flags & FS_O_TRUNC) && acc != FS_O_RDONLY && st.size)
		backing_resized(ino);
	files[idx] = (struct file){ .refs = 1, .ino = ino,
				    .flags = (uint32_t)(q.flags & ~(uint64_t)FS_O_CLOEXEC) };
	if (idx >= files_hi)
		files_hi = idx + 1;
	c->fd[fd] = idx;
	if (q.flags & FS_O_CLOEXEC)
		c->cloexec |= 1u << fd;
	return fd;
}

/*
 * Read-ahead for a stream of FS_READs. The engine fetches a run of
 * contiguous blocks (up to 32) only within the span of one call, and a
 * call is at most 4 KiB, so a cold sequential read waited for the disk at
 * every 4 KiB block (4,101 disk requests for 16 MiB). On a miss,
 * ext2_readahead names the first uncached run of the next READAHEAD bytes
 * (copying nothing); the request parks and run() starts reading that
 * whole run (137 requests for 16 MiB). (Starting the next run early,
 * without a miss, gained nothing measurable.)
 */
#define READAHEAD	(128u << 10)

static void read_ahead(uint32_t ino, uint64_t off)
{
	if (fs.nowait_wanted)	/* else synchronous: it would wait for the disk */
		(void)ext2_readahead(&fs, ino, off, READAHEAD);
}

static int64_t do_io(struct client *c, struct req *r, uint64_t label, uint8_t *out,
		     uint32_t *outlen)
{
	struct fs_io_req q;
	struct file *f;
	int64_t n;

	memcpy(&q, r->m.w, sizeof(q));
	if (!(f = fd_file(c, q.fd)))
		return -ERR_BADF;
	if (q.count > FS_IO_MAX)
		return -ERR_INVAL;
	int acc = (int)(f->flags & FS_O_ACCMODE);
	bool reading = label == FS_READ || label == FS_PREAD;
	if (reading ? acc == FS_O_WRONLY : acc == FS_O_RDONLY)
		return -ERR_BADF;
	uint64_t off = (label == FS_PREAD || label == FS_PWRITE) ? q.offset : f->offset;
	if ((int64_t)off < 0)
		return -ERR_INVAL;
	if (reading) {
		n = backing_holds(f->ino) ? backing_read(f->ino, off, out, q.count)
					   : ext2_read(&fs, f->ino, off, out, q.count);
		if (n == -ERR_AGAIN && label == FS_READ)
			read_ahead(f->ino, off);	/* the park reads the whole run */
		if (n < 0)
			return PARK(n);
		*outlen = (uint32_t)n;

	} else {
		if (q.count != r->len)
			return -ERR_INVAL;
		if ((n = prefetch_range(f->ino, off, q.count)) < 0)
			return n;
		if (label == FS_WRITE && (f->flags & FS_O_APPEND)) {
			struct ext2_stat st;
			int e = ext2_stat(&fs, f->ino, &st);
			if (e < 0)
				return e;
			off = st.size;
		}
		n = ext2_write(&fs, f->ino, off, r->data, q.count);
		if (n < 0)
			return n;
		backing_wrote(f->ino, off, r->data, (uint64_t)n);
	}
	if (label == FS_READ || label == FS_WRITE)
		f->offset = off + (uint64_t)n;
	return n;
}

/*
 * FS_READ_CLAIM: read() through a mapping of the file (libsys's window,
 * file_read.c). The offset stays ours, shared by dup and fork: the claim
 * takes min(count, size - offset) bytes and moves the offset past them in
 * one step, so two processes sharing a description never get the same
 * bytes; the client then copies them from its mapping of the page cache.
 */
static int64_t do_claim(struct client *c, struct req *r, struct ipc_msg *reply)
{
	struct fs_io_req q;
	struct ext2_stat st;
	struct file *f;
	int e;

	memcpy(&q, r->m.w, sizeof(q));
	if (!(f = fd_file(c, q.fd)) || (f->flags & FS_O_ACCMODE) == FS_O_WRONLY)
		return -ERR_BADF;
	if ((e = ext2_stat(&fs, f->ino, &st)) < 0)
		return PARK(e);
	if ((st.mode & 0xf000) != 0x8000)
		return -ERR_NOSYS;	/* a directory: read() says what it says */
	uint64_t off = f->offset, n = 0;
	if ((int64_t)off < 0)
		return -ERR_INVAL;
	if (off < st.size)
		n = q.count < st.size - off ? q.count : st.size - off;
	f->claimed = true;
	f->offset = off + n;
	reply->w[1] = off;
	reply->w[2] = f->ino;
	reply->w[3] = st.size;
	return (int64_t)n;
}

static int64_t do_seek(struct client *c, struct req *r)
{
	struct fs_seek_req q;
	struct ext2_stat st;
	struct file *f;
	int64_t base;

	memcpy(&q, r->m.w, sizeof(q));
	if (!(f = fd_file(c, q.fd)))
		return -ERR_BADF;
	switch (q.whence) {
	case FS_SEEK_SET:
		base = 0;
		break;
	case FS_SEEK_CUR:
		base = (int64_t)f->offset;
		break;
	case FS_SEEK_END: {
		int e = ext2_stat(&fs, f->ino, &st);
		if (e < 0)
			return PARK(e);
		base = (int64_t)st.size;
		break;
	}
	default:
		return -ERR_INVAL;
	}
	if ((q.offset > 0 && base > INT64_MAX - q.offset) || base + q.offset < 0)
		return -ERR_INVAL;
	f->offset = (uint64_t)(base + q.offset);
	return (int64_t)f->offset;
}

static int64_t do_stat(uint32_t ino, uint8_t *out, uint32_t *outlen)
{
	struct ext2_stat st;
	int e = ext2_stat(&fs, ino, &st);

	if (e < 0)
		return PARK(e);
	to_fs_stat(&st, (struct fs_stat *)out);
	*outlen = sizeof(struct fs_stat);
	return 0;
}

static int64_t do_readdir(struct file *f, uint8_t *out, uint32_t *outlen)
{
	struct ext2_dirent d;
	uint64_t cursor = f->offset;
	int e = ext2_readdir(&fs, f->ino, &cursor, &d);

	if (e <= 0)
		return PARK(e);
	struct fs_dirent *o = (struct fs_dirent *)out;
	memset(o, 0, sizeof(*o));
	o->ino = d.ino;
	o->type = d.type;
	o->name_len = d.name_len;
	memcpy(o->name, d.name, d.name_len);
	*outlen = sizeof(*o);
	f->offset = cursor;
	return 1;
}

/* FS_PIPE: a pipe (pipe.c) and its two ends, a description each, at the
 * two lowest free descriptors. */
static int64_t do_pipe(struct client *c, struct req *r, struct ipc_msg *reply)
{
	struct fs_open_req q;
	int rd = -1, wr = -1, fr = -1, fw = -1, p;

	memcpy(&q, r->m.w, sizeof(q));
	if (q.flags & ~(uint64_t)(FS_O_NONBLOCK | FS_O_CLOEXEC))
		return -ERR_INVAL;
	for (int k = 0; k < FS_FD_MAX && wr < 0; k++)
		if (c->fd[k] < 0)
			*(rd < 0 ? &rd : &wr) = k;
	if (wr < 0)
		return -ERR_MFILE;
	for (int i = 0; i < (int)fsd_files_max && i < MAX_FILES && fw < 0; i++)
		if (!files[i].refs)
			*(fr < 0 ? &fr : &fw) = i;
	if (fw < 0)
		return -ERR_NFILE;
	if ((p = pipe_new(c->pid)) < 0)
		return p;
	uint32_t nb = (uint32_t)(q.flags & FS_O_NONBLOCK);
	files[fr] = (struct file){ .refs = 1, .flags = FS_O_RDONLY | nb, .pipe = (uint32_t)p + 1 };
	files[fw] = (struct file){ .refs = 1, .flags = FS_O_WRONLY | nb, .pipe = (uint32_t)p + 1 };
	if (fw >= files_hi)
		files_hi = fw + 1;
	c->fd[rd] = fr;
	c->fd[wr] = fw;
	if (q.flags & FS_O_CLOEXEC)
		c->cloexec |= 1u << rd | 1u << wr;
	reply->w[1] = (uint64_t)rd;
	reply->w[2] = (uint64_t)wr;
	return 0;
}

/* The calls on a descriptor that reach its data: a pipe's go to pipe.c. */
static bool reaches_data(uint64_t label)
{
	return label == FS_READ || label == FS_WRITE || label == FS_PREAD ||
	       label == FS_PWRITE || label == FS_LSEEK || label == FS_FTRUNCATE ||
	       label == FS_FSTAT || label == FS_READDIR || label == FS_FSYNC || label == FS_MMAP ||
	       label == FS_READ_CLAIM;
}

#define FL_CHANGES	(FS_O_APPEND | FS_O_NONBLOCK)

int64_t fsd_handle(struct req *r, struct ipc_msg *reply, uint8_t *out, uint32_t *outlen)
{
	static char p1[FS_PATH_MAX + 1], p2[FS_PATH_MAX + 1];
	uint64_t label = ipc_label(r->m.info);
	int64_t pid = (int64_t)FS_BADGE_PID(r->m.badge);
	struct fs_fd_req q;
	struct client *c;
	struct file *f;
	uint32_t ino;
	int64_t e;

	c = client_find(pid);
	if (!c && !(c = client_new(pid, (int64_t)FS_BADGE_PPID(r->m.badge), CLIENT_LIVE)))
		return -ERR_NOSPC;
	memcpy(&q, r->m.w, sizeof(q));
	if (reaches_data(label) && (f = fd_file(c, q.fd)) && f->pipe)
		return pipe_request((int)f->pipe - 1, f->flags, r, label, reply, out, outlen);
	switch (label) {
	case FS_PIPE:
		return do_pipe(c, r, reply);
	case FS_GETFL:
		if (!(f = fd_file(c, q.fd)))
			return -ERR_BADF;
		return f->flags & (FS_O_ACCMODE | FL_CHANGES);
	case FS_SETFL:
		if (!(f = fd_file(c, q.fd)))
			return -ERR_BADF;
		f->flags = (f->flags & ~(uint32_t)FL_CHANGES) | ((uint32_t)q.fd2 & FL_CHANGES);
		return 0;
	case FS_CLOCK:
		return fsd_clock(reply);
	case FS_PIPESTATS:	/* counts after the ends the pager reported */
		fsd_reap_deaths();
		return pipe_stats(reply);
	case FS_OPEN:
		return do_open(c, r);
	case FS_CLOSE:
		if (!fd_file(c, q.fd))
			return -ERR_BADF;
		fd_close(c, (int)q.fd);
		return 0;
	case FS_READ:
	case FS_WRITE:
	case FS_PREAD:
	case FS_PWRITE:
		return do_io(c, r, label, out, outlen);
	case FS_READ_CLAIM:
		return do_claim(c, r, reply);
	case FS_LSEEK:
		return do_seek(c, r);
	case FS_FTRUNCATE: {
		struct fs_io_req io;
		memcpy(&io, r->m.w, sizeof(io));
		if (!(f = fd_file(c, io.fd)))
			return -ERR_BADF;
		if ((f->flags & FS_O_ACCMODE) == FS_O_RDONLY || (int64_t)io.offset < 0)
			return -ERR_INVAL;
		if ((e = ext2_truncate(&fs, f->ino, io.offset)) == 0)
			backing_resized(f->ino);
		return e;
	}
	case FS_MMAP: {
		struct fs_mmap_req mq;
		memcpy(&mq, r->m.w, sizeof(mq));
		if (!(f = fd_file(c, mq.fd)))
			return -ERR_BADF;
		return backing_mmap(pid, f->ino, f->flags, &mq);
	}
	case FS_FSTAT:
		if (!(f = fd_file(c, q.fd)))
			return -ERR_BADF;
		return do_stat(f->ino, out, outlen);
	case FS_STAT:
		if ((e = get_path(r, p1, 0, r->len)) < 0)
			return e;
		if ((e = ext2_lookup(&fs, p1, &ino)) < 0)
			return PARK(e);
		return do_stat(ino, out, outlen);
	case FS_UNLINK:
		if ((e = get_path(r, p1, 0, r->len)) < 0 || (e = prefetch_path(p1)) < 0)
			return e;
		if ((e = ext2_unlink(&fs, p1)) == 0)
			keep_forget_unlinked();
		return e;
	case FS_MKDIR: {
		struct fs_path_req pq;
		memcpy(&pq, r->m.w, sizeof(pq));
		if ((e = get_path(r, p1, 0, r->len)) < 0 || (e = prefetch_path(p1)) < 0)
			return e;
		return ext2_mkdir(&fs, p1, (uint16_t)(pq.mode & 0777), &ino);
	}
	case FS_RMDIR:
		if ((e = get_path(r, p1, 0, r->len)) < 0 || (e = prefetch_path(p1)) < 0)
			return e;
		return ext2_rmdir(&fs, p1);
	case FS_LINK:
	case FS_RENAME:
		if ((e = get_two_paths(r, p1, p2)) < 0 || (e = prefetch_path(p1)) < 0 ||
		    (e = prefetch_path(p2)) < 0)
			return e;
		if ((e = label == FS_LINK ? ext2_link(&fs, p1, p2) : ext2_rename(&fs, p1, p2)) == 0)
			keep_forget_unlinked();	/* a rename may replace a kept file */
		return e;
	case FS_READDIR:
		if (!(f = fd_file(c, q.fd)))
			return -ERR_BADF;
		return do_readdir(f, out, outlen);
	case FS_FSYNC:
		if (!(f = fd_file(c, q.fd)))
			return -ERR_BADF;
		backing_flush(f->ino);
		backing_drain();
		return ext2_fsync(&fs, f->ino);
	case FS_DUP:
		if (!fd_file(c, q.fd))
			return -ERR_BADF;
		if ((e = fd_lowest(c)) < 0)
			return e;
		c->fd[e] = c->fd[q.fd];
		files[c->fd[e]].refs++;
		c->cloexec &= ~(1u << e);	/* POSIX: a dup is not close-on-exec */
		return e;
	case FS_DUP2:
		if (!fd_file(c, q.fd) || q.fd2 < 0 || q.fd2 >= FS_FD_MAX)
			return -ERR_BADF;
		if (q.fd2 == q.fd)
			return q.fd2;
		files[c->fd[q.fd]].refs++;	/* before the close: fd2 may share it */
		fd_close(c, (int)q.fd2);
		c->fd[q.fd2] = c->fd[q.fd];
		return q.fd2;
	case FS_FORK_PREPARE:
		return snap_prepare(c, q.fd == FS_SNAP_EXEC);
	case FS_FORK_BIND: {
		struct snapshot *sn = snap_find(c->pid, q.fd);
		if (!sn || q.fd2 <= 0 || sn->child)
			return -ERR_INVAL;
		/* A bound snapshot outlives its owner: only to the owner's own
		 * child (the pager says whose child it is), and one per child,
		 * so that none piles up on a long-lived process. */
		struct ipc_msg pm = { .info = ipc_info(PAGER_FS_ALIVE, 0, 0), .w = { (uint64_t)q.fd2 } };
		int64_t alive = pager_call(&pm);
		if (alive == 0) {
			snap_drop(sn);	/* the child ended already: nobody to claim it */
			return -ERR_SRCH;
		}
		if (alive < 0 || (int64_t)pm.w[1] != c->pid)
			return -ERR_INVAL;
		for (int i = 0; i < MAX_SNAPS; i++)
			if (snaps[i].used && snaps[i].child == q.fd2)
				return -ERR_EXIST;
		sn->child = q.fd2;
		return 0;
	}
	case FS_GETFD:
		if (!fd_file(c, q.fd))
			return -ERR_BADF;
		return (c->cloexec >> q.fd) & 1 ? FS_FD_CLOEXEC : 0;
	case FS_SETFD:
		if (!fd_file(c, q.fd))
			return -ERR_BADF;
		if (q.fd2 & ~(int64_t)FS_FD_CLOEXEC)
			return -ERR_INVAL;
		c->cloexec = (c->cloexec & ~(1u << q.fd)) | (q.fd2 ? 1u << q.fd : 0);
		return 0;
	case FS_EXEC_HIDE: {
		/* One set at a time: a set still hidden is from an exec that
		 * happened (a failed one restores first), whose note is late. */
		int n = 0;
		hidden_end(c, false);
		for (int k = 0; k < FS_FD_MAX; k++) {
			if (!(c->cloexec & (1u << k)) || c->fd[k] < 0)
				continue;
			c->hidden[k] = c->fd[k];
			c->hidden_mask |= 1u << k;
			c->fd[k] = -1;
			n++;
		}
		c->cloexec = 0;
		c->hidden_at = fsd_ticks();
		return n;
	}
	case FS_EXEC_RESTORE:
		/* Only for an exec that failed. One that happened was noted
		 * by the pager before the new program could connect to us:
		 * take the notes first, or the new program could ask for the
		 * old one's close-on-exec descriptors and get them. */
		fsd_reap_deaths();
		return hidden_end(c, true);
	case FS_FORK_CLAIM:
		return snap_claim(c, q.fd);
	case FS_FORK_CANCEL: {
		struct snapshot *sn = snap_find(c->pid, q.fd);
		if (!sn)
			return -ERR_INVAL;
		snap_drop(sn);
		return 0;
	}
	case FS_DISKSTATS:
		reply->w[1] = fs.blocks_read;
		reply->w[2] = fs.blocks_written;
		reply->w[3] = fs.dev_reads;
		reply->w[4] = fs.dev_writes;
		reply->w[5] = fs.flushes;
		return 0;
	case FS_SYNC:
		/* Ended clients' descriptors close first: a file unlinked
		 * while a dead child had it open is freed now, not after the
		 * power goes (init's sync at exit; filemap.sigbus). */
		fsd_reap_deaths();
		keep_flush();
		backing_drain();
		fsd_reap_deaths();
		return ext2_sync(&fs);
	case FS_MAPSTATS:
		return backing_stats(reply);
	case FS_DIRECTSTATS:
		return backing_direct_stats(reply);
	case FS_STATFS:
		reply->w[1] = fs.sb.s_free_blocks_count;
		reply->w[2] = fs.bsize;
		reply->w[3] = stat_parked;
		reply->w[4] = stat_answered_during_read;
		reply->w[5] = 0;
		for (int i = 0; i < files_hi; i++)
			reply->w[5] += files[i].refs != 0;
		return 0;
	}
	return -ERR_NOSYS;
}
