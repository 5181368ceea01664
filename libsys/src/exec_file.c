/*
 * Programs from the disk, demand-paged: the client half of
 * PAGER_SPAWN_FILE and PAGER_EXEC (pager/exec.c, docs/pager-protocol.md).
 * We open the file, map the whole of it read-only and private (the
 * file server checks the descriptor), read its ELF header and program
 * headers through that mapping, and name the mapping and the PT_LOAD
 * segments to the pager, which checks them again and maps them into the
 * new image from the same file object. The pager reads no file data,
 * so the one page per segment it must copy (the last file page before
 * bss) is touched here first, which brings it into the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_image.h"
#include "libsys.h"
#include "libsys_file.h"
#include "libsys_posix.h"

#define HDR_READ	512	/* ELF header and 8 program headers */
#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define AGAIN_TRIES	4	/* -ERR_AGAIN: a touched page evicted meanwhile */

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

void exec_file_close(struct exec_file *x)
{
	if (x->map)
		munmap(x->map, (size_t)x->size);
	if (x->fd >= 0)
		close(x->fd);
	x->map = NULL;
	x->fd = -1;
}

int64_t exec_file_open(const char *path, struct exec_file *x)
{
	struct stat st = { 0 };
	uint64_t phoff, phnum, n;
	const uint8_t *hdr;
	int64_t r;
	void *map;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	if (!path)
		return -ERR_FAULT;
	if ((x->fd = open(path, O_RDONLY)) < 0)
		return -errno;
	r = -ERR_NOEXEC;
	if (fstat(x->fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ERR_ACCES;	/* POSIX: not a regular file */
		goto fail;
	}
	if (st.st_size < EHDR_SIZE)
		goto fail;
	x->size = (uint64_t)st.st_size;
	/* The header is read through the mapping, not with pread: its fault
	 * fills the first pages of the file into the page cache in one
	 * request to the file server (read-around), which a small program's
	 * text and the tail page touch_tails needs are then part of. */
	map = mmap(NULL, (size_t)x->size, PROT_READ, MAP_PRIVATE, x->fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	x->map = map;
	/* The mapping outlives the descriptor, which an exec'd image must
	 * not inherit (the file server keeps our table across PAGER_EXEC). */
	close(x->fd);
	x->fd = -1;
	hdr = map;
	n = x->size < HDR_READ ? x->size : HDR_READ;
	/* elf_parse reads the program headers: they must be in the first
	 * HDR_READ bytes, as when those were all that was read (it checks
	 * the segments against the whole file's size). */
	phoff = le(hdr + 32, 8);
	phnum = le(hdr + 56, 2);
	if (phoff > n || phnum * PHDR_SIZE > n - phoff)
		goto fail;
	if ((r = elf_parse(hdr, x->size, &x->img)) < 0)
		goto fail;
	return 0;
fail:
	exec_file_close(x);
	return r;
}

/* The last file page of each segment with bss after it, into the cache. */
static void touch_tails(const struct exec_file *x)
{
	for (uint32_t i = 0; i < x->img.nsegments; i++) {
		const struct elf_segment *s = &x->img.seg[i];
		uint64_t end = s->offset + s->filesz;
		if (s->filesz && s->memsz > s->filesz && end % PAGE_SIZE)
			(void)*(volatile uint8_t *)(x->map + (end & ~(uint64_t)(PAGE_SIZE - 1)));
	}
}

extern char **environ;

/* The request's buffer: the segments, then argv and what the new image
 * inherits (posix_spawn_extra: environ and, as the parent's pid, ours;
 * here envp and parent for that call). Its length or -ERR_*. */
static int64_t fill_buffer(const struct exec_file *x, const char *const argv[],
			   char *const envp[], uint64_t parent)
{
	char **saved_env = environ;
	uint64_t saved_pid = libsys_start_info.pid;
	struct pager_exec_seg *seg = ipcbuf();
	char *args = (char *)(seg + x->img.nsegments);
	uint64_t len = 0;
	int64_t r;

	for (uint32_t i = 0; i < x->img.nsegments; i++) {
		const struct elf_segment *s = &x->img.seg[i];
		seg[i] = (struct pager_exec_seg){ .vaddr = s->vaddr, .memsz = s->memsz,
						  .offset = s->offset, .filesz = s->filesz,
						  .prot = s->prot };
	}
	for (int i = 0; argv[i]; i++) {
		uint64_t k = strlen(argv[i]) + 1;
		/* One string is left for the inherited state (posix_spawn_extra). */
		if (len + k > PROC_SPAWN_ARGS_MAX || i + 1 >= PROC_SPAWN_ARGC_MAX)
			return -E2BIG;
		memcpy(args + len, argv[i], k);
		len += k;
	}
	environ = (char **)envp;
	libsys_start_info.pid = parent;
	r = posix_spawn_extra(args, len, PROC_SPAWN_ARGS_MAX);
	libsys_start_info.pid = saved_pid;
	environ = saved_env;
	if (r < 0)
		return r;
	return (int64_t)(x->img.nsegments * sizeof(*seg)) + r;
}

int64_t exec_file_call(uint64_t label, const struct exec_file *x, const char *const argv[],
		       char *const envp[], uint64_t parent, uint64_t flags, uint64_t grant,
		       int64_t snap)
{
	struct ipc_msg m;
	int64_t r = -ERR_AGAIN, len;

	if (!argv || !argv[0] || !argv[0][0])
		return -ERR_INVAL;
	/* Asked again only without a grant: the first call took it. */
	for (int tries = 0; tries == 0 || (tries < AGAIN_TRIES && r == -ERR_AGAIN && !grant); tries++) {
		touch_tails(x);
		if ((len = fill_buffer(x, argv, envp, parent)) < 0)
			return len;
		m = (struct ipc_msg){ 0 };
		m.info = ipc_info(label, (uint64_t)len, grant ? IPC_GRANT : 0);
		m.w[0] = (uint64_t)x->map;
		m.w[1] = x->img.entry;
		m.w[2] = x->img.nsegments;
		m.w[3] = flags;
		m.w[4] = label == PAGER_SPAWN_FILE && snap > 0 ? (uint64_t)snap : 0;
		m.w[5] = grant;
		r = pager_call(&m);
	}
	return r;
}
