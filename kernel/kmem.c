/*
 * Kernel memory pool. Pages come from a free list; objects come from
 * power-of-two size classes (64 B .. 4 KiB) carved from pool pages; a
 * class page whose objects are all free returns to the page list (below).
 * The free-memory figure counts free objects too, so a create/destroy
 * cycle leaves it unchanged.
 * Every allocation outside boot goes through the _q variants, which charge
 * a task's kernel-memory account (struct kquota) first.
 */
#include "kmem.h"
#include "lib.h"
#include "riscv.h"
#include "abi/kernel.h"

struct free_node { struct free_node *next; };

static struct free_node *free_pages;
static uint64_t nfree_pages, ntotal_pages;

/*
 * Size classes. Free objects of a class are on a doubly linked list, and
 * each pool page carved for a class counts its live objects (live[], one
 * byte per physical page of RAM, from kmem_init): when a page's last
 * object is freed and the class has another page's worth of free objects
 * besides, the page goes back to the page list. So a class holds at most
 * its pages in use plus about one, and memory a task freed in one class
 * can serve another's page tables: what the quotas promise is there.
 */
#define NCLASS 7	/* 64 << 0 .. 64 << 6 = 4096 */
struct free_obj { struct free_obj *next, *prev; };
static struct free_obj *free_objs[NCLASS];
static uint64_t free_count[NCLASS];
static uint64_t free_obj_bytes;
static uint8_t *live;
static uint64_t live_base, live_npages;

void kmem_init(void *live_array, uint64_t ram_base, uint64_t npages)
{
	live = live_array;
	live_base = ram_base;
	live_npages = npages;
	memset(live, 0, npages);
}

void kmem_add(uint64_t pa, uint64_t npages)
{
	for (uint64_t i = npages; i-- > 0;)
		kpage_free(P2V(pa + i * PAGE_SIZE));
	ntotal_pages += npages;
}

void *kpage_alloc(void)
{
	struct free_node *n = free_pages;

	if (!n)
		return NULL;
	free_pages = n->next;
	nfree_pages--;
	memset(n, 0, PAGE_SIZE);
	return n;
}

void kpage_free(void *page)
{
	struct free_node *n = page;

	KASSERT(((uint64_t)page & (PAGE_SIZE - 1)) == 0);
	n->next = free_pages;
	free_pages = n;
	nfree_pages++;
}

static uint8_t *live_count(void *obj)
{
	uint64_t i = (V2P(obj) - live_base) >> PAGE_SHIFT;

	KASSERT(i < live_npages);
	return &live[i];
}

static void obj_push(int c, struct free_obj *o)
{
	o->prev = NULL;
	o->next = free_objs[c];
	if (o->next)
		o->next->prev = o;
	free_objs[c] = o;
	free_count[c]++;
}

static void obj_unlink(int c, struct free_obj *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		free_objs[c] = o->next;
	if (o->next)
		o->next->prev = o->prev;
	free_count[c]--;
}

void *kobj_alloc_class(int c)
{
	KASSERT(c < NCLASS);
	size_t sz = 64ul << c;
	struct free_obj *n = free_objs[c];

	if (!n) {
		uint8_t *page = kpage_alloc();
		if (!page)
			return NULL;
		for (size_t off = PAGE_SIZE; off >= sz; off -= sz)
			obj_push(c, (struct free_obj *)(page + off - sz));
		free_obj_bytes += PAGE_SIZE;
		*live_count(page) = 0;
		n = free_objs[c];
	}
	obj_unlink(c, n);
	(*live_count(n))++;
	free_obj_bytes -= sz;
	memset(n, 0, sz);
	return n;
}

void kobj_free_class(void *p, int c)
{
	size_t sz = 64ul << c;
	uint8_t *page = (uint8_t *)((uint64_t)p & ~(PAGE_SIZE - 1)), *nlive = live_count(p);

	obj_push(c, p);
	free_obj_bytes += sz;
	KASSERT(*nlive > 0);
	if (--*nlive || free_count[c] <= (128ul >> c))	/* two pages' worth */
		return;
	/* Empty, and the class has a page's worth free elsewhere: give it back. */
	for (size_t off = 0; off < PAGE_SIZE; off += sz)
		obj_unlink(c, (struct free_obj *)(page + off));
	free_obj_bytes -= PAGE_SIZE;
	kpage_free(page);
}

uint64_t kmem_free_pages(void)
{
	return nfree_pages + free_obj_bytes / PAGE_SIZE;
}

uint64_t kmem_total_pages(void)
{
	return ntotal_pages;
}

void kq_uncharge(struct kquota *q, uint64_t bytes)
{
	KASSERT(q->used >= bytes);
	q->used -= bytes;
	if (unlikely(q->orphan) && q->used == q->keep)
		task_account_release(q);
}

void *kpage_alloc_q(struct kquota *q)
{
	void *p;

	if (kq_charge(q, PAGE_SIZE) < 0)
		return NULL;
	if (!(p = kpage_alloc()))
		q->used -= PAGE_SIZE;
	return p;
}

void kpage_free_q(struct kquota *q, void *page)
{
	kpage_free(page);
	kq_uncharge(q, PAGE_SIZE);
}
