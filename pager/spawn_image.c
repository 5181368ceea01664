/*
 * PAGER_SPAWN_IMAGE: start a program whose ELF file the caller has read
 * into its own memory (from the file server: libsys spawn_path). The pager
 * never waits on the file server (BRIEF invariant 9): the caller did the
 * reading, and the pager only copies the bytes out of the caller's pages,
 * which it owns anyway, then loads them as it loads a boot-image program.
 */
#include <stdlib.h>
#include <string.h>
#include "abi/fault.h"
#include "abi/pager.h"
#include "cpio.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "pager.h"
#include "proc.h"

/* Copy len bytes at va in p's space into dst; 0 or -ERR_FAULT for a range
 * that is not all readable memory of p. Untouched pages read as zero. */
static int copy_in(struct proc *p, uint64_t va, uint64_t len, uint8_t *dst)
{
	while (len) {
		struct vma *v = vma_find(&p->vmas, va);
		uint64_t off = va & (PAGE_SIZE - 1), n = PAGE_SIZE - off, src;
		uint32_t rights;
		if (n > len)
			n = len;
		if (!v || !(v->prot & MAP_R) || fault_in(v, va, FAULT_READ, &src, &rights) < 0)
			return -ERR_FAULT;
		memcpy(dst, (const uint8_t *)src + off, n);
		dst += n;
		va += n;
		len -= n;
	}
	return 0;
}

int64_t spawn_image_request(struct proc *p, struct ipc_msg *m, uint64_t grant)
{
	uint64_t va = m->w[0], len = m->w[1];
	struct cpio_file f = { 0 };
	uint8_t *copy;
	int64_t r;

	if (len == 0 || len > PAGER_IMAGE_MAX || va >= USER_TOP || len > USER_TOP - va)
		return -ERR_INVAL;
	if (!(copy = malloc(len)))
		return -ERR_NOMEM;
	r = copy_in(p, va, len, copy);
	if (r == 0) {
		f.data = copy;
		f.size = len;
		r = proc_spawn_image(p, ipcbuf(), ipc_len(m->info), grant, &f);
	}
	free(copy);
	return r;
}
