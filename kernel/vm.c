/*
 * Sv39 page tables for user address spaces. Page-table pages come from the
 * kernel pool; the pages they map are the pager's (the kernel only ever
 * records their physical addresses). The kernel half of every root is a
 * copy of boot_root's upper entries, which map physical memory at KERNBASE.
 */
#include "vm.h"
#include "abi/kernel.h"
#include "device.h"
#include "kmem.h"
#include "lib.h"
#include "mapdb.h"
#include "object.h"
#include "riscv.h"

extern pte_t boot_root[512];
extern struct task *root_task;	/* the pager: owner of every user frame */

#define KERNEL_HALF 256	/* root entries >= this are the kernel's */

static pte_t *active_root = boot_root;	/* what satp points at */
static bool asid_probed;		/* see vm_activate */
static void asid_probe(void);

int vm_create(struct aspace *as)
{
	pte_t *root;

	if (unlikely(!asid_probed))
		asid_probe();
	root = kpage_alloc_q(as->kq);

	if (!root)
		return -ERR_NOMEM;
	for (int i = KERNEL_HALF; i < 512; i++)
		root[i] = boot_root[i];
	as->root = root;
	as->pt_pages = 1;
	as->mapped = 0;
	as->mdb_nodes = 0;
	as->asid_gen = 0;	/* no ASID yet */
	as->destroy_next = 0;
	as->destroy_tables = false;
	return 0;
}

/* Page-table pages one vm_destroy_step frees at most, and entries it
 * looks at for records at most. */
#define DESTROY_STEP_TABLES 8
#define DESTROY_STEP_SCAN 4096

bool vm_destroy_step(struct aspace *as)
{
	unsigned budget = DESTROY_STEP_TABLES;

	if (!as->root)
		return true;
	if (as->root == active_root)
		vm_activate_kernel();
	/* Records first, 2 MiB per step (destroy_next counts them):
	 * revoking may clear entries anywhere in this space. */
	for (unsigned scan = 0; !as->destroy_tables; scan++) {
		uint32_t u = as->destroy_next;
		if (u == KERNEL_HALF * 512 || !as->mdb_nodes) {
			KASSERT(as->mdb_nodes == 0);
			as->destroy_tables = true;
			as->destroy_next = 0;
			break;
		}
		if (scan == DESTROY_STEP_SCAN)
			return false;
		pte_t top = as->root[u >> 9];
		if (!(top & PTE_V)) {
			as->destroy_next = (u | 511) + 1;
			continue;
		}
		as->destroy_next++;
		if ((top & PTE_LEAF) || (((pte_t *)P2V(PTE_PA(top)))[u & 511] & PTE_V)) {
			vm_unmap(as, (uint64_t)u << 21, 512);
			return false;
		}
	}
	/* Then the tables, leaves first; an emptied entry is cleared, so the
	 * next step rescans at most one middle table. */
	for (; as->destroy_next < KERNEL_HALF; as->destroy_next++) {
		pte_t *top = &as->root[as->destroy_next];
		if (!(*top & PTE_V) || (*top & PTE_LEAF))
			continue;
		pte_t *mid = P2V(PTE_PA(*top));
		for (int j = 0; j < 512; j++) {
			if (!(mid[j] & PTE_V) || (mid[j] & PTE_LEAF))
				continue;
			if (budget-- == 0)
				return false;
			kpage_free_q(as->kq, P2V(PTE_PA(mid[j])));
			as->pt_pages--;
			mid[j] = 0;
		}
		kpage_free_q(as->kq, mid);
		as->pt_pages--;
		*top = 0;
	}
	kpage_free_q(as->kq, as->root);
	as->root = NULL;
	as->pt_pages = 0;
	as->mapped = 0;
	return true;
}

void vm_destroy(struct aspace *as)
{
	while (!vm_destroy_step(as))
		;
}

/*
 * Find the PTE for `va` at `level` (0 = 4 KiB leaf), creating tables on the
 * way when `alloc`. NULL if a table is missing (or out of memory with
 * alloc), or if a larger leaf is in the way. (vm_map inlines the common
 * case: both tables present.)
 */
static __attribute__((noinline)) pte_t *walk(struct aspace *as, uint64_t va,
					    int level, bool alloc)
{
	pte_t *table = as->root;

	for (int l = 2; l > level; l--) {
		pte_t *e = &table[VPN(va, l)];
		if (*e & PTE_V) {
			if (*e & PTE_LEAF)
				return NULL;
			table = P2V(PTE_PA(*e));
			continue;
		}
		if (!alloc)
			return NULL;
		pte_t *next = kpage_alloc_q(as->kq);	/* the space's task pays */
		if (!next)
			return NULL;
		as->pt_pages++;
		*e = PA_PTE(V2P(next)) | PTE_V;
		table = next;
	}
	return &table[VPN(va, level)];
}

/* The PTE bits for MAP_R, MAP_W and MAP_X (other bits ignored), a table:
 * every fault reply computes them. */
#define UF_BASE	(PTE_V | PTE_U | PTE_A)
#define UF_W	(PTE_W | PTE_D | PTE_WOK)
static const uint64_t user_flags[8] = {
	UF_BASE, UF_BASE | PTE_R, UF_BASE | UF_W, UF_BASE | PTE_R | UF_W,
	UF_BASE | PTE_X, UF_BASE | PTE_R | PTE_X, UF_BASE | UF_W | PTE_X,
	UF_BASE | PTE_R | UF_W | PTE_X,
};

uint64_t vm_user_flags(uint64_t rights)
{
	return user_flags[rights & (MAP_R | MAP_W | MAP_X)];
}

static __attribute__((noinline)) int vm_map_slow(struct aspace *as, uint64_t va,
						 uint64_t pa, uint64_t flags)
{
	pte_t *e = walk(as, va, 0, true);

	if (!e)
		return -ERR_NOMEM;
	if (unlikely(*e & PTE_MDB))
		mapdb_drop(as, va);	/* replaced: its copies go */
	else if (!(*e & PTE_V))
		as->mapped++;
	*e = PA_PTE(pa) | flags;
	sfence_vma_va(va);
	return 0;
}

/* vm_map, inlined into vm_map_from (the fault reply's map). */
static inline __attribute__((always_inline)) int map_one(struct aspace *as, uint64_t va,
							 uint64_t pa, uint64_t flags)
{
	pte_t e2 = as->root[VPN(va, 2)], e1, *e;

	/* Both tables there (the common case): no frame needed here. */
	if (unlikely((e2 & (PTE_V | PTE_LEAF)) != PTE_V))
		return vm_map_slow(as, va, pa, flags);
	e1 = ((pte_t *)P2V(PTE_PA(e2)))[VPN(va, 1)];
	if (unlikely((e1 & (PTE_V | PTE_LEAF)) != PTE_V))
		return vm_map_slow(as, va, pa, flags);
	e = &((pte_t *)P2V(PTE_PA(e1)))[VPN(va, 0)];
	if (unlikely(*e & PTE_MDB))	/* keeps this path free of calls */
		return vm_map_slow(as, va, pa, flags);
	if (!(*e & PTE_V))
		as->mapped++;
	*e = PA_PTE(pa) | flags;
	sfence_vma_va(va);
	return 0;
}

int vm_map(struct aspace *as, uint64_t va, uint64_t pa, uint64_t flags)
{
	return map_one(as, va, pa, flags);
}

int vm_map_mega(struct aspace *as, uint64_t va, uint64_t pa, uint64_t flags)
{
	pte_t *e = walk(as, va, 1, true);

	if (!e || (*e & PTE_V))
		return -ERR_NOMEM;
	*e = PA_PTE(pa) | flags;
	as->mapped += 512;
	return 0;
}

int vm_split_mega(struct aspace *as, uint64_t va)
{
	pte_t *e = walk(as, va, 1, false), *table;

	if (!e || (*e & (PTE_V | PTE_LEAF)) == PTE_V || !(*e & PTE_V))
		return 0;	/* no 2 MiB leaf here */
	if (!(table = kpage_alloc_q(as->kq)))
		return -ERR_NOMEM;
	for (int i = 0; i < 512; i++)
		table[i] = *e + ((uint64_t)i << 10);	/* PPN += i */
	as->pt_pages++;
	*e = PA_PTE(V2P(table)) | PTE_V;
	sfence_vma();
	return 0;
}

pte_t *vm_pte(struct aspace *as, uint64_t va)
{
	return va < USER_TOP ? walk(as, va, 0, false) : NULL;
}

int vm_prepare(struct aspace *as, uint64_t va, uint64_t npages)
{
	uint64_t end = va + npages * PAGE_SIZE;

	for (; va < end; va = ALIGN_DOWN(va, 1ul << 21) + (1ul << 21))
		if (!walk(as, va, 0, true))
			return -ERR_NOMEM;
	return 0;
}

/*
 * Visit the present 4 KiB leaves in [va, end), skipping absent tables a
 * whole 1 GiB or 2 MiB at a time. `fn` gets the PTE and its address and
 * returns whether it changed the PTE; a leaf table left empty by an unmap
 * is freed. (A revoke reached through fn clears entries but never frees
 * a table, so the walk's table pointers stay good.)
 */
static inline bool leaf_clear(struct aspace *as, pte_t *e, uint64_t va, uint64_t arg)
{
	(void)va, (void)arg;
	*e = 0;
	as->mapped--;
	return true;
}

/* The same where the space has mapping records: a marked page's copies
 * go with it. */
static inline bool leaf_clear_mdb(struct aspace *as, pte_t *e, uint64_t va, uint64_t arg)
{
	if (*e & PTE_MDB)
		mapdb_drop(as, va);
	return leaf_clear(as, e, va, arg);
}

typedef bool (*leaf_fn)(struct aspace *as, pte_t *e, uint64_t va, uint64_t arg);

static inline __attribute__((always_inline)) uint64_t
for_each_leaf(struct aspace *as, uint64_t va, uint64_t end,
			      leaf_fn fn, uint64_t arg)
{
	uint64_t changed = 0;

	while (va < end) {
		pte_t *l2 = &as->root[VPN(va, 2)];
		if (!(*l2 & PTE_V) || (*l2 & PTE_LEAF)) {
			va = ALIGN_DOWN(va, 1ul << 30) + (1ul << 30);
			continue;
		}
		pte_t *l1 = &((pte_t *)P2V(PTE_PA(*l2)))[VPN(va, 1)];
		uint64_t next = ALIGN_DOWN(va, 1ul << 21) + (1ul << 21);
		if (!(*l1 & PTE_V) || (*l1 & PTE_LEAF)) {
			va = next;
			continue;
		}
		pte_t *leaves = P2V(PTE_PA(*l1));
		uint64_t stop = next < end ? next : end;
		bool whole = (va & ((1ul << 21) - 1)) == 0 && stop == next;
		for (; va < stop; va += PAGE_SIZE) {
			pte_t *e = &leaves[VPN(va, 0)];
			if ((*e & PTE_V) && fn(as, e, va, arg))
				changed++;
		}
		/* An unmap over a leaf table's whole range frees the table. */
		if (whole && (fn == leaf_clear || fn == leaf_clear_mdb)) {
			*l1 = 0;
			kpage_free_q(as->kq, leaves);
			as->pt_pages--;
		}
	}
	return changed;
}

uint64_t vm_unmap(struct aspace *as, uint64_t va, uint64_t npages)
{
	uint64_t end = va + npages * PAGE_SIZE, n;

	/* A space without records (the pager's processes, mostly) pays
	 * nothing per page for the database. */
	if (likely(!as->mdb_nodes))
		n = for_each_leaf(as, va, end, leaf_clear, 0);
	else
		n = for_each_leaf(as, va, end, leaf_clear_mdb, 0);

	sfence_vma();
	return n;
}

/* The rights a protect to rwx gives the page old maps: never W where the
 * page's source did not allow it, never X on device registers. */
static inline uint64_t protect_rights(pte_t old, uint64_t rwx)
{
	if (!(old & PTE_WOK))
		rwx &= ~PTE_W;
	if ((rwx & PTE_X) && !phys_is_ram(PTE_PA(old)))	/* device registers never run */
		rwx &= ~PTE_X;
	return rwx;
}

/* Set R/W/X. A page left with none (X alone on a device page) is
 * unmapped, as a protect to no rights is: a 4 KiB PTE with V and no
 * R/W/X would be a pointer to a table that is not there. */
static inline bool leaf_protect(struct aspace *as, pte_t *e, uint64_t va, uint64_t rwx)
{
	pte_t old = *e;
	if (!(rwx = protect_rights(old, rwx)))
		return leaf_clear(as, e, va, 0);
	*e = (old & ~(PTE_LEAF | PTE_D)) | rwx | ((rwx & PTE_W) ? PTE_D : 0);
	return *e != old;
}

/* The same where the space has records: what a marked page loses, its
 * copies lose. */
static inline bool leaf_protect_mdb(struct aspace *as, pte_t *e, uint64_t va, uint64_t rwx)
{
	pte_t old = *e;
	if (!protect_rights(old, rwx))
		return leaf_clear_mdb(as, e, va, 0);	/* its record and copies go */
	bool changed = leaf_protect(as, e, va, rwx);
	uint64_t lost = old & ~*e & PTE_LEAF;

	if ((old & PTE_MDB) && lost)
		mapdb_lower(as, va, lost);
	return changed;
}

uint64_t vm_protect(struct aspace *as, uint64_t va, uint64_t npages, uint64_t rwx)
{
	uint64_t n;

	if (!(rwx & PTE_LEAF))
		return vm_unmap(as, va, npages);
	if (likely(!as->mdb_nodes))
		n = for_each_leaf(as, va, va + npages * PAGE_SIZE, leaf_protect, rwx);
	else
		n = for_each_leaf(as, va, va + npages * PAGE_SIZE, leaf_protect_mdb, rwx);
	sfence_vma();
	return n;
}

/* The leaf PTE mapping va (any level) with *pa set, or 0 if none.
 * *span: pages from va to the end of that leaf (1 for a 4 KiB one). */
static inline pte_t leaf_lookup(struct aspace *as, uint64_t va, uint64_t *pa, uint64_t *span)
{
	uint64_t size = PAGE_SIZE;
	pte_t e;

	if (va >= USER_TOP)
		return 0;
	e = as->root[VPN(va, 2)];
	if (!(e & PTE_V))
		return 0;
	if (e & PTE_LEAF) {
		size = 1ul << 30;
	} else {
		e = ((pte_t *)P2V(PTE_PA(e)))[VPN(va, 1)];
		if (!(e & PTE_V))
			return 0;
		if (e & PTE_LEAF)
			size = 1ul << 21;
		else if (!((e = ((pte_t *)P2V(PTE_PA(e)))[VPN(va, 0)]) & PTE_V))
			return 0;
	}
	*pa = PTE_PA(e) + (va & (size - 1));
	*span = (size - (va & (size - 1))) >> PAGE_SHIFT;
	return e;
}

bool vm_lookup(struct aspace *as, uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t span;
	pte_t e = leaf_lookup(as, va, pa, &span);

	*flags = e & 0x3ff;
	return e != 0;
}

static inline bool map_rights_bad(uint64_t rights)
{
	return !rights || (rights & ~(uint64_t)(MAP_R | MAP_W | MAP_X)) ||
	       ((rights & MAP_W) && !(rights & MAP_R));
}

/* The source page's PTE if it may be mapped with `rights`, else 0 with
 * *err set. *span as leaf_lookup's, for the pager's pages only (1 for
 * anyone else's: each page checked on its own). */
static inline pte_t source_pte(struct aspace *src, uint64_t va, uint64_t rights,
			       uint64_t *pa, uint64_t *span, int *err)
{
	pte_t e = leaf_lookup(src, va, pa, span);

	if ((e & (PTE_U | PTE_R)) != (PTE_U | PTE_R)) {
		*err = -ERR_FAULT;
		return 0;
	}
	if ((rights & MAP_W) && !(e & PTE_W)) {
		*err = -ERR_ACCES;
		return 0;
	}
	if (src == &root_task->as)
		return e;	/* the pager's pages are all RAM */
	*span = 1;
	/* A device page is never executable (SYS_MAP_DEVICE refuses X), so
	 * no copy of it may be. */
	if ((rights & MAP_X) && !phys_is_ram(*pa)) {
		*err = -ERR_ACCES;
		return 0;
	}
	return e;
}

int vm_map_from(struct aspace *src, uint64_t src_va, struct aspace *dst,
		uint64_t dst_va, uint64_t rights)
{
	uint64_t pa = 0, span;
	int err;
	pte_t e;

	if (((src_va | dst_va) & (PAGE_SIZE - 1)) || dst_va >= USER_TOP || map_rights_bad(rights))
		return -ERR_INVAL;
	if (!(e = source_pte(src, src_va, rights, &pa, &span, &err)))
		return err;
	if (unlikely(src != &root_task->as))
		return mapdb_map(src, src_va, dst, dst_va, rights, 1);
	/* W may be added later (SYS_PROTECT) only if the source had it. */
	return map_one(dst, dst_va, pa, vm_user_flags(rights) | (e & PTE_W ? PTE_WOK : 0));
}

int vm_map_run(struct aspace *src, uint64_t src_va, struct aspace *dst,
	       uint64_t dst_va, uint64_t rights, uint64_t npages)
{
	uint64_t pa = 0, span = 1, flags = vm_user_flags(rights);
	int err;
	pte_t e;

	if (((src_va | dst_va) & (PAGE_SIZE - 1)) || map_rights_bad(rights) ||
	    npages == 0 || npages > MAP_RUN_MAX ||
	    dst_va >= USER_TOP || npages > (USER_TOP - dst_va) >> PAGE_SHIFT ||
	    src_va >= USER_TOP || npages > (USER_TOP - src_va) >> PAGE_SHIFT)
		return -ERR_INVAL;
	/* Checked a leaf at a time: the pager's pages are 2 MiB ones. */
	for (uint64_t i = 0; i < npages; i += span)
		if (!source_pte(src, src_va + i * PAGE_SIZE, rights, &pa, &span, &err))
			return err;
	if (src != &root_task->as)
		return mapdb_map(src, src_va, dst, dst_va, rights, npages);
	/* The pager's own pages: with the tables made, nothing can fail.
	 * Each leaf table of dst and each source leaf is found once, the TLB
	 * flushed once (vm_map per page walked and flushed each: ~100
	 * instructions a page of a 16-page fill, twice, its window's and its
	 * client's). */
	if ((err = vm_prepare(dst, dst_va, npages)) < 0)
		return err;
	pte_t *leaf = NULL;	/* the PTE for va */
	span = 0;
	for (uint64_t i = 0, f = 0; i < npages; i++, pa += PAGE_SIZE, span--) {
		uint64_t va = dst_va + i * PAGE_SIZE;
		if (!span) {	/* the next source leaf */
			e = leaf_lookup(src, src_va + i * PAGE_SIZE, &pa, &span);
			f = flags | (e & PTE_W ? PTE_WOK : 0);
		}
		if (!leaf || !VPN(va, 0))	/* the first, or a new leaf table */
			leaf = walk(dst, va, 0, false);
		KASSERT(leaf);
		if (unlikely(*leaf & PTE_MDB))
			mapdb_drop(dst, va);	/* replaced: its copies go */
		else if (!(*leaf & PTE_V))
			dst->mapped++;
		*leaf++ = PA_PTE(pa) | f;
	}
	sfence_vma();
	return 0;
}

/*
 * Address-space identifiers. satp carries an ASID, and the TLB tags
 * entries with it, so switching between a process and the pager need not
 * flush the TLB: each space keeps its entries. ASID 0 is the kernel's
 * (boot_root); spaces get 1, 2, ... on their first activation in the
 * current generation, which as->satp then holds ready. When the hart's
 * ASIDs run out, the generation moves on and the whole TLB is flushed
 * once: every space then takes a fresh ASID at its next activation, so an
 * ASID is never reused while entries tagged with it for another space may
 * remain. A destroyed space's ASID is simply never handed out again in
 * its generation. Changes to page tables flush with rs2 = zero (every
 * ASID), so they need nothing more. A hart with no ASID bits (probed at
 * the first vm_create) gets a full flush at every switch, as before.
 * QEMU's TLB ignores ASIDs (it flushes on every satp write), so its
 * instruction counts show none of this.
 */
#define ASID_SHIFT 44
#define ASID_BITS 16
static uint64_t asid_max;	/* the largest ASID the hart keeps; 0: none */
static uint64_t asid_gen = 1;	/* never 0: that is "no ASID yet" */
static uint64_t asid_next = 1;

static void asid_probe(void)
{
	uint64_t old = csr_read(satp);

	csr_write(satp, old | (((1ul << ASID_BITS) - 1) << ASID_SHIFT));
	asid_max = (csr_read(satp) >> ASID_SHIFT) & ((1ul << ASID_BITS) - 1);
#ifdef VM_ASID_LIMIT	/* to exercise generation roll-over in tests */
	asid_max &= VM_ASID_LIMIT;
#endif
	csr_write(satp, old);
	sfence_vma();
	asid_probed = true;
}

/* A space without an ASID in this generation: give it one (or, with no
 * ASIDs, switch with a full flush). */
static __attribute__((noinline)) void activate_slow(struct aspace *as)
{
	uint64_t ppn = V2P(as->root) >> 12;

	if (!asid_max) {
		csr_write(satp, SATP_SV39 | ppn);
		sfence_vma();
		return;
	}
	if (asid_next > asid_max) {	/* all used: a new generation */
		asid_gen++;
		asid_next = 1;
		sfence_vma();
	}
	as->satp = SATP_SV39 | (asid_next++ << ASID_SHIFT) | ppn;
	as->asid_gen = asid_gen;
	csr_write(satp, as->satp);
}

void vm_activate(struct aspace *as)
{
	if (as->root == active_root)
		return;
	active_root = as->root;
	if (likely(as->asid_gen == asid_gen))
		csr_write(satp, as->satp);
	else
		activate_slow(as);
}

void vm_activate_kernel(void)
{
	active_root = boot_root;
	csr_write(satp, SATP_SV39 | (V2P(boot_root) >> 12));
	if (!asid_max)
		sfence_vma();
}

static int copy_user(struct aspace *as, uint64_t uva, void *kbuf, uint64_t n, bool to_user)
{
	uint64_t need = PTE_U | (to_user ? PTE_W : PTE_R);
	uint8_t *k = kbuf;

	if (uva >= USER_TOP || n > USER_TOP - uva)
		return -ERR_FAULT;
	while (n) {
		uint64_t pa, flags, chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
		if (chunk > n)
			chunk = n;
		if (!vm_lookup(as, uva, &pa, &flags) || (flags & need) != need ||
		    !phys_is_ram(pa))	/* a device page: never touched for a user */
			return -ERR_FAULT;
		if (to_user)
			memcpy(P2V(pa), k, chunk);
		else
			memcpy(k, P2V(pa), chunk);
		uva += chunk;
		k += chunk;
		n -= chunk;
	}
	return 0;
}

int copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n)
{
	return copy_user(as, uva, dst, n, false);
}

int copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n)
{
	return copy_user(as, uva, (void *)src, n, true);
}
