/*
 * Kernel memory pool. Pages come from a free list; objects come from
 * power-of-two size classes (64 B .. 4 KiB) carved from pool pages. A page
 * carved for a class stays with that class; the free-memory figure counts
 * free objects too, so a create/destroy cycle leaves it unchanged.
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

#define NCLASS 7	/* 64 << 0 .. 64 << 6 = 4096 */
static struct free_node *free_objs[NCLASS];
static uint64_t free_obj_bytes;

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

static int size_class(size_t size)
{
	int c = 0;

	while ((64ul << c) < size)
		c++;
	KASSERT(c < NCLASS);
	return c;
}

void *kobj_alloc(size_t size)
{
	int c = size_class(size);
	size_t sz = 64ul << c;
	struct free_node *n = free_objs[c];

	if (!n) {
		uint8_t *page = kpage_alloc();
		if (!page)
			return NULL;
		for (size_t off = PAGE_SIZE; off >= sz; off -= sz) {
			struct free_node *o = (struct free_node *)(page + off - sz);
			o->next = free_objs[c];
			free_objs[c] = o;
		}
		free_obj_bytes += PAGE_SIZE;
		n = free_objs[c];
	}
	free_objs[c] = n->next;
	free_obj_bytes -= sz;
	memset(n, 0, sz);
	return n;
}

void kobj_free(void *p, size_t size)
{
	int c = size_class(size);
	struct free_node *n = p;

	n->next = free_objs[c];
	free_objs[c] = n;
	free_obj_bytes += 64ul << c;
}

uint64_t kmem_free_pages(void)
{
	return nfree_pages + free_obj_bytes / PAGE_SIZE;
}

uint64_t kmem_total_pages(void)
{
	return ntotal_pages;
}

uint64_t kmem_cost(size_t size)
{
	return 64ul << size_class(size);
}

void kq_uncharge(struct kquota *q, uint64_t bytes)
{
	KASSERT(q->used >= bytes);
	q->used -= bytes;
	if (unlikely(q->orphan) && q->used == q->keep)
		task_account_release(q);
}

void *kobj_alloc_q(struct kquota *q, size_t size)
{
	uint64_t cost = kmem_cost(size);
	void *p;

	if (kq_charge(q, cost) < 0)
		return NULL;
	if (!(p = kobj_alloc(size)))
		q->used -= cost;	/* the pool is empty: nothing taken */
	return p;
}

void kobj_free_q(struct kquota *q, void *p, size_t size)
{
	kobj_free(p, size);
	kq_uncharge(q, kmem_cost(size));
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
