/*
 * The sanity checker (PAGER_CHECK), in the spirit of Minix's
 * map_sanitycheck and UVM's _uvm_map_sanity: walk every live process's
 * VMAs, recount the references on every memory object and every frame from
 * scratch, and compare with the counts the pager keeps. Slow, thorough,
 * run by the tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include "backing.h"
#include "dma.h"
#include "libsys.h"
#include "mmap.h"
#include "page.h"
#include "kquota.h"
#include "pager.h"

static int problems;

static void report(const char *what, long a, long b)
{
	if (problems++ < 10)
		pager_log("check: %s (%ld, %ld)\n", what, a, b);
}

/* Per-process: the tree's own invariants, the page total, VMA sanity. */
static void check_vmas(struct proc *p, uint32_t mark)
{
	uint64_t pages = 0, count = 0;
	int err = vma_tree_check(&p->vmas.tree);

	if (err < 0)
		report(vma_tree_check_name(err), (long)p->pid, err);
	for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
		pages += vma_pages(v);
		count++;
		if (!v->obj || !v->obj->refs) {
			report("VMA without a live object", (long)p->pid, (long)v->node.start);
			continue;
		}
		if (v->prot & ~(uint32_t)(MAP_R | MAP_W | MAP_X))
			report("VMA rights", (long)p->pid, (long)v->prot);
		if (v->obj->check_mark != mark) {
			v->obj->check_mark = mark;
			v->obj->check_refs = 0;
		}
		v->obj->check_refs++;
	}
	if (count != vma_set_count(&p->vmas))
		report("VMA count", (long)count, (long)vma_set_count(&p->vmas));
	if (pages != vma_set_pages(&p->vmas))
		report("VMA page total", (long)pages, (long)vma_set_pages(&p->vmas));
}

/* File objects: those no VMA reached have no VMA references; every
 * object's page records agree with its counts and its reverse map with
 * the VMAs; frames held by requests and peeks are counted. */
static void check_files(uint32_t *counts, uint8_t *seen, uint32_t mark)
{
	for (struct file_obj *fo = file_first(); fo; fo = file_next(fo)) {
		uint64_t dirty = 0, mapped = 0, at;
		const char *what;
		if (fo->obj.check_mark == mark + 1) {
			if (fo->obj.refs)
				report("file object references, no VMA", (long)fo->key, (long)fo->obj.refs);
			fo->obj.check_mark = mark - 1;
			pagemap_count_refs(&fo->obj.pages, counts, seen);
		}
		for (struct fpage *fp = fo->dirty; fp; fp = fp->dnext, dirty++)
			if (!(fp->flags & FP_DIRTY) || fp->fo != fo || fpage_find(fo, fp->index) != fp)
				report("file dirty list", (long)fo->key, (long)fp->index);
		if (dirty != fo->ndirty)
			report("file dirty count", (long)dirty, (long)fo->ndirty);
		if ((what = backing_check_fills(fo, &at)))
			report(what, (long)fo->key, (long)at);
		for (struct vma *v = fo->mappers; v; v = v->rnext, mapped++)
			if (!(v->flags & VMA_FILE) || file_of(v->obj) != fo)
				report("file reverse map", (long)fo->key, (long)v->node.start);
		if (mapped != fo->obj.refs + 0 && !fo->priv_refs)
			report("file mappers", (long)mapped, (long)fo->obj.refs);
	}
	backing_count_refs(counts);
	dma_count_refs(counts);
}

int64_t pager_check_all(void)
{
	static uint32_t mark;
	uint64_t end = page_end();
	uint32_t *counts = calloc(end, sizeof(*counts));
	uint8_t *seen = calloc(end, 1);
	uint64_t free_frames = 0;

	problems = 0;
	if (!counts || !seen) {
		free(counts);
		free(seen);
		return -ERR_NOMEM;
	}
	mark++;
	/* File objects may live with no VMA (write-back in flight, or
	 * mapped only privately): marked unseen, and walked below. */
	for (struct file_obj *fo = file_first(); fo; fo = file_next(fo))
		fo->obj.check_mark = mark + 1;
	for (int i = 0; i < MAX_PROCS; i++)
		if (proc_at(i)->state == PROC_LIVE)
			check_vmas(proc_at(i), mark);
	/* Each object once: its VMA count, then its frames. */
	pagemap_check_begin();
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *p = proc_at(i);
		if (p->state != PROC_LIVE)
			continue;
		for (struct vma *v = vma_first(&p->vmas); v; v = vma_next(v)) {
			struct memobj *o = v->obj;
			if (!o || o->check_mark != mark)
				continue;	/* done already */
			if (o->check_refs != o->refs)
				report("object references", (long)o->refs, (long)o->check_refs);
			o->check_mark = mark - 1;
			pagemap_count_refs(&o->pages, counts, seen);
		}
	}
	check_files(counts, seen, mark);
	counts[page_pfn(ipcbuf())]++;	/* the pager's own IPC buffer */
	if (anon_zero_pfn() != PAGEMAP_NONE)
		counts[anon_zero_pfn()]++;	/* the shared zero page */
	uint64_t heap_lo, heap_hi;
	page_heap_frames(&heap_lo, &heap_hi);
	for (uint64_t pfn = heap_lo; pfn < heap_hi; pfn++)
		counts[pfn]++;		/* the pager's heap, grown into frames */
	kquota_count_refs(counts);	/* frames given to the kernel pool */
	for (uint64_t pfn = page_first(); pfn < end; pfn++) {
		if (page_refcount(pfn) != counts[pfn] && problems++ < 10)
			pager_log("check: frame %lu has %u references, %u found\n",
				  (unsigned long)pfn, page_refcount(pfn), counts[pfn]);
		free_frames += page_refcount(pfn) == 0;
	}
	if (free_frames != page_free_count())
		report("free frames", (long)free_frames, (long)page_free_count());
	free(counts);
	free(seen);
	if (problems)
		pager_log("check: %d problem(s)\n", problems);
	return problems ? -ERR_IO : 0;
}
