/*
 * Tasks: an address space plus a handle table, and the threads running in
 * it. Destroying a task kills its threads and frees its tables at once;
 * the task object itself lives on while handles name it.
 */
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"

static uint64_t ntasks;

struct task *task_create(struct task *parent, void *handle_pages, uint32_t nhandles)
{
	struct task *t = kobj_alloc(sizeof(*t));

	if (!t)
		return NULL;
	t->hdr.type = KOBJ_TASK;
	if (vm_create(&t->as) < 0) {
		kobj_free(t, sizeof(*t));
		return NULL;
	}
	if (handle_table_init(t, nhandles, handle_pages) < 0) {
		vm_destroy(&t->as);
		kobj_free(t, sizeof(*t));
		return NULL;
	}
	t->parent = parent;
	if (parent) {
		t->sibling = parent->children;
		parent->children = t;
	}
	ntasks++;
	return t;
}

bool task_within(const struct task *t, const struct task *ancestor)
{
	for (; t; t = t->parent)
		if (t == ancestor)
			return true;
	return false;
}

static void task_unlink(struct task *t)
{
	if (!t->parent)
		return;
	for (struct task **p = &t->parent->children; *p; p = &(*p)->sibling) {
		if (*p == t) {
			*p = t->sibling;
			break;
		}
	}
	t->parent = NULL;
}

/* Kill the threads, destroy the tasks it created, close its handles and
 * free its page tables. The struct itself stays for its handles. */
static void task_teardown(struct task *t)
{
	t->dead = true;
	while (t->children)	/* what it created goes first */
		task_destroy(t->children);
	task_unlink(t);
	while (t->threads)
		thread_kill(t->threads);
	handle_close_all(t);
	vm_destroy(&t->as);
}

void task_destroy(struct task *t)
{
	if (t->dead)
		return;
	kobj_ref(&t->hdr);	/* its own table may hold the last handle */
	task_teardown(t);
	kobj_unref(&t->hdr);
}

void task_free(struct task *t)
{
	KASSERT(t->nthreads == 0);
	if (!t->dead)
		task_teardown(t);
	if (t->nhandles == HANDLES_PER_PAGE)	/* not the boot-time table */
		kpage_free(t->handles);
	kobj_free(t, sizeof(*t));
	ntasks--;
}

uint64_t task_count(void)
{
	return ntasks;
}
