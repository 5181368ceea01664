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

struct task *task_create(void *handle_pages, uint32_t nhandles)
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
	ntasks++;
	return t;
}

void task_destroy(struct task *t)
{
	if (t->dead)
		return;
	kobj_ref(&t->hdr);	/* its own table may hold the last handle */
	t->dead = true;
	while (t->threads)
		thread_kill(t->threads);
	handle_close_all(t);
	vm_destroy(&t->as);
	kobj_unref(&t->hdr);
}

void task_free(struct task *t)
{
	KASSERT(t->nthreads == 0);
	if (!t->dead) {
		t->dead = true;
		handle_close_all(t);
	}
	vm_destroy(&t->as);
	if (t->nhandles == HANDLES_PER_PAGE)	/* not the boot-time table */
		kpage_free(t->handles);
	kobj_free(t, sizeof(*t));
	ntasks--;
}

uint64_t task_count(void)
{
	return ntasks;
}
