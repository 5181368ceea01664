/*
 * The pager's statistics and checks, for programs and tests.
 */
#include <string.h>
#include "libsys.h"

int64_t proc_stats(int64_t pid, struct proc_stats *st)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_PROC_STATS, 0, 0), .w = { (uint64_t)pid } };
	int64_t r = pager_call(&m);

	if (r >= 0) {
		st->virtual_pages = m.w[1];
		st->resident_pages = m.w[2];
		st->pt_pages = m.w[3];
	}
	return r;
}

int64_t mem_info(struct mem_info *mi)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MEMINFO, 0, 0) };
	int64_t r = pager_call(&m);

	if (r >= 0) {
		mi->free_pages = m.w[1];
		mi->total_pages = m.w[2];
		mi->node_pages = m.w[3];
		mi->map_heap_bytes = m.w[4];
		mi->page_faults = m.w[5];
		mi->nprocs = (uint64_t)r;
	}
	return r < 0 ? r : 0;
}

int64_t vma_list(int64_t pid, uint64_t from, struct pager_vma_info *out, uint64_t max,
		 uint64_t *next)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_VMA_LIST, 0, 0),
			     .w = { from, (uint64_t)pid } };
	int64_t r = pager_call(&m);

	if (r < 0)
		return r;
	if (!max) {
		if (next)
			*next = from;
		return 0;
	}
	if ((uint64_t)r > max) {	/* more than asked for: continue after ours */
		memcpy(out, ipcbuf(), max * sizeof(*out));
		if (next)
			*next = out[max - 1].end;
		return (int64_t)max;
	}
	memcpy(out, ipcbuf(), (uint64_t)r * sizeof(*out));
	if (next)
		*next = m.w[1];
	return r;
}

int64_t pager_check(void)
{
	return pager_check_kept(NULL);
}

int64_t pager_check_kept(uint64_t *kept)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_CHECK, 0, 0) };
	int64_t r = pager_call(&m);

	if (kept)
		*kept = m.w[1];
	return r;
}

int64_t pager_set_limit(uint64_t pages)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_SET_LIMIT, 0, 0), .w = { pages } };

	return pager_call(&m);
}

int64_t dma_alloc(uint64_t len, uint64_t *pa)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_DMA_ALLOC, 0, 0), .w = { len } };
	int64_t r = pager_call(&m);

	if (r >= 0)
		*pa = m.w[1];
	return r;
}

int64_t pager_setrlimit(int64_t pid, uint64_t resource, uint64_t value)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_SETRLIMIT, 0, 0),
			     .w = { (uint64_t)pid, resource, value } };

	return pager_call(&m);
}

int64_t pager_getrlimit(int64_t pid, uint64_t resource)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_GETRLIMIT, 0, 0),
			     .w = { (uint64_t)pid, resource } };

	return pager_call(&m);
}
