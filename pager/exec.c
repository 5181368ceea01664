/*
 * PAGER_SPAWN_FILE and PAGER_EXEC: start a program, or replace the
 * caller's, with its segments mapped from the program file's object
 * (abi/pager.h, docs/pager-protocol.md). The caller mapped the file (the
 * file server checked its descriptor) and names the PT_LOAD segments it
 * read from the ELF header; they are checked again here, against the
 * file object's size, by elf_parse's rules: inside the file, offset
 * congruent with vaddr, sorted with no page shared, in user space below
 * the mmap area, no sum that wraps, the entry in an executable segment.
 *
 * Text and data become private file VMAs ("fpriv" objects over the file
 * object): a read fault maps the page-cache frame, so every process
 * running the program shares it, and a write copies it. bss is
 * anonymous. No file data is read here but one page per segment with
 * bss after its file bytes: its tail must read zero, so a private copy
 * of it is made now from the cache. The caller touched that page first;
 * if it is not cached (evicted since), -ERR_AGAIN, and the caller
 * touches it and asks again: the pager never waits on the file server.
 */
#include <string.h>
#include "abi/pager.h"
#include "backing.h"
#include "libsys.h"
#include "page.h"
#include "pager.h"
#include "proc.h"
#include "vma.h"

struct exec_plan {
	struct file_obj *fo;
	uint64_t entry;
	uint32_t nseg;
	struct pager_exec_seg seg[PAGER_EXEC_SEGS_MAX];
	/* Each segment's file part, until its VMA takes the reference. */
	struct memobj *obj[PAGER_EXEC_SEGS_MAX];
};

static uint64_t page_down(uint64_t x) { return x & ~(PAGE_SIZE - 1); }
static uint64_t page_up(uint64_t x) { return page_down(x + PAGE_SIZE - 1); }

/* The segments as elf_parse takes an ELF file's, in a file of `size`
 * bytes, for p's limit; prot made R where W. */
static int check_segments(struct proc *p, struct exec_plan *pl, uint64_t size)
{
	uint64_t prev_end = 0, pages = 0;
	bool entry_ok = false;

	for (uint32_t i = 0; i < pl->nseg; i++) {
		struct pager_exec_seg *s = &pl->seg[i];
		if (s->memsz == 0 || s->filesz > s->memsz || (s->prot & ~(uint64_t)(MAP_R | MAP_W | MAP_X)))
			return -ERR_NOEXEC;
		if (s->offset > size || s->filesz > size - s->offset)
			return -ERR_NOEXEC;	/* past the end of the file */
		if (s->vaddr < PROC_TEXT_MIN || s->vaddr >= PROC_MMAP_TOP ||
		    s->memsz > PROC_MMAP_TOP - s->vaddr)
			return -ERR_NOEXEC;	/* outside the program's part of the space */
		if (s->vaddr % PAGE_SIZE != s->offset % PAGE_SIZE)
			return -ERR_NOEXEC;	/* cannot be mapped from the file */
		if (page_down(s->vaddr) < prev_end)
			return -ERR_NOEXEC;	/* unsorted, or sharing a page */
		prev_end = page_up(s->vaddr + s->memsz);
		pages += (prev_end - page_down(s->vaddr)) >> PAGE_SHIFT;
		if (s->prot & MAP_W)
			s->prot |= MAP_R;
		if ((s->prot & MAP_X) && pl->entry >= s->vaddr && pl->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		return -ERR_NOEXEC;
	return pages > p->limit_pages ? -ERR_NOMEM : 0;
}

/* Page idx of o (a fresh fpriv object) as a private copy of the file's
 * cached page with only its first `keep` bytes. */
static int tail_copy(struct file_obj *fo, struct memobj *o, uint64_t idx, uint64_t keep)
{
	uint64_t file_pfn = pagemap_get(&fo->obj.pages, idx), *slot;
	int64_t fresh;
	uint8_t *dst;

	if (file_pfn == PAGEMAP_NONE)
		return -ERR_AGAIN;
	if ((fresh = page_alloc()) < 0)
		return (int)fresh;
	dst = page_va((uint64_t)fresh);
	memcpy(dst, page_va(file_pfn), keep);
	memset(dst + keep, 0, PAGE_SIZE - keep);
	if (!(slot = pagemap_slot(&o->pages, idx, 1))) {
		page_unref((uint64_t)fresh);
		return -ERR_NOMEM;
	}
	*slot = (uint64_t)fresh + 1;
	pagemap_slot_filled(&o->pages);
	return 0;
}

static void plan_drop(struct exec_plan *pl)
{
	for (uint32_t i = 0; i < PAGER_EXEC_SEGS_MAX; i++)
		if (pl->obj[i]) {
			memobj_unref(pl->obj[i]);
			pl->obj[i] = NULL;
		}
}

/* Check the request and make the segments' file objects; the argv
 * strings' place in our IPC buffer. On failure nothing is held. */
static int plan_make(struct proc *p, const struct ipc_msg *m, struct exec_plan *pl,
		     const char **args, uint64_t *args_len)
{
	uint64_t len = ipc_len(m->info), nseg = m->w[2], segbytes;
	struct vma *v = vma_find(&p->vmas, m->w[0]);
	int r;

	memset(pl, 0, sizeof(*pl));
	if (nseg == 0 || nseg > PAGER_EXEC_SEGS_MAX)
		return -ERR_NOEXEC;
	segbytes = nseg * sizeof(struct pager_exec_seg);
	if (len <= segbytes)
		return -ERR_INVAL;	/* no argv */
	/* The caller's mapping of the whole file from its start: it may
	 * read it, and it names the object. */
	if (!v || v->node.start != m->w[0] || !(v->flags & VMA_FILE) || v->obj_index != 0 ||
	    !(v->prot & MAP_R) || !memobj_is_file(v->obj))
		return -ERR_INVAL;
	pl->fo = file_of(v->obj);
	pl->nseg = (uint32_t)nseg;
	pl->entry = m->w[1];
	memcpy(pl->seg, ipcbuf(), segbytes);
	if ((r = check_segments(p, pl, pl->fo->size)) < 0)
		return r;
	for (uint32_t i = 0; i < pl->nseg; i++) {
		const struct pager_exec_seg *s = &pl->seg[i];
		uint64_t fend = s->offset + s->filesz;
		if (!s->filesz)
			continue;
		if (!(pl->obj[i] = fpriv_create(pl->fo))) {
			plan_drop(pl);
			return -ERR_NOMEM;
		}
		if (s->memsz > s->filesz && fend % PAGE_SIZE &&
		    (r = tail_copy(pl->fo, pl->obj[i], fend >> PAGE_SHIFT, fend % PAGE_SIZE)) < 0) {
			plan_drop(pl);
			return r;
		}
	}
	*args = (const char *)ipcbuf() + segbytes;
	*args_len = len - segbytes;
	return 0;
}

/* proc_loader: the plan's VMAs in p. */
static int plan_load(struct proc *p, void *src, uint64_t *entry, uint64_t *brk)
{
	struct exec_plan *pl = src;
	int err;

	*brk = 0;
	for (uint32_t i = 0; i < pl->nseg; i++) {
		const struct pager_exec_seg *s = &pl->seg[i];
		uint64_t start = page_down(s->vaddr), end = page_up(s->vaddr + s->memsz);
		uint64_t fend = s->filesz ? page_up(s->vaddr + s->filesz) : start;
		uint32_t prot = (uint32_t)s->prot;
		if (s->filesz) {
			if (!vma_add(&p->vmas, start, fend, prot, VMA_IMAGE | VMA_FILE, pl->obj[i],
				     page_down(s->offset) >> PAGE_SHIFT, &err))
				return err;
			pl->obj[i] = NULL;	/* the VMA's now */
		}
		if (end > fend) {	/* bss past the last file page */
			struct memobj *o = anon_create();
			if (!o)
				return -ERR_NOMEM;
			if (!vma_add(&p->vmas, fend, end, prot, VMA_IMAGE, o, 0, &err)) {
				memobj_unref(o);
				return err;
			}
		}
		if (end > *brk)
			*brk = end;
	}
	*entry = pl->entry;
	return 0;
}

static bool has_window(struct proc *p)
{
	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v))
		if (v->flags & VMA_WINDOW)
			return true;
	return false;
}

int64_t exec_request(struct proc *p, struct ipc_msg *m, uint64_t grant, bool *reply)
{
	struct exec_plan pl;
	const char *args;
	uint64_t args_len;
	bool exec = ipc_label(m->info) == PAGER_EXEC, gone = false;
	int64_t r;

	*reply = true;
	if (exec && (p->pid == 1 || has_window(p)))
		return -ERR_PERM;	/* init and the file server keep their programs */
	if (!exec && (r = proc_spawn_flags_check(p, m->w[3] & ~(uint64_t)PSPAWN_PAGER)) < 0)
		return r;
	if ((r = plan_make(p, m, &pl, &args, &args_len)) < 0)
		return r;
	if (exec) {
		r = proc_exec(p, args, args_len, plan_load, &pl, &gone);
		if (gone)	/* past the point of no return */
			fsconn_exec(p);
		*reply = !gone;
	} else if ((r = proc_spawn_with(p, args, args_len, grant, plan_load, &pl)) > 0) {
		proc_spawn_flags_apply(proc_get((uint64_t)r), m->w[3]);	/* before it runs */
	}
	plan_drop(&pl);
	return r;
}
