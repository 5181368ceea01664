/*
 * A per-task pager to copy and make your own (docs/custom-pager.md).
 *
 *   pager_template [-n MAX] PROGRAM ARGS...
 *
 * Starts PROGRAM (a path with '/': from the disk; else from the boot
 * image) as a child whose every page fault comes to us, then loops:
 * receive a fault, decide, and either forward it to the system's pager
 * (which maps the page and answers the child directly, and tells us how
 * it did it) or answer it ourselves. The example policy is a budget:
 * with -n MAX, the child may fault MAX times; the next fault kills it.
 * Your policy goes in the three functions marked POLICY.
 *
 * Built in the tree (apps/CMakeLists.txt) so it cannot rot, and run by
 * the tests pager.template_*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "taskpager.h"

/* What the policy remembers. Add your own fields. */
struct policy {
	unsigned long budget;		/* faults allowed; 0: no limit */
	unsigned long faults;		/* faults seen */
	unsigned long refused;		/* faults we answered with a kill */
	unsigned long how[PFWD_RESUMED + 1];	/* forwarded, by how resolved */
};

enum verdict { FORWARD, REFUSE };

/* POLICY 1: read your options; return the index of PROGRAM in argv. */
static int policy_init(struct policy *p, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	if (argc > 3 && strcmp(argv[1], "-n") == 0) {
		p->budget = strtoul(argv[2], NULL, 0);
		return 3;
	}
	return 1;
}

/* POLICY 2: one fault of the child: forward it, or refuse it (the child
 * is killed). m->w[0] is the address, w[1] the access (FAULT_READ,
 * FAULT_WRITE, FAULT_EXEC), w[2] the pc, w[3] the kind (FAULT_KIND_*). */
static enum verdict policy_decide(struct policy *p, const struct ipc_msg *m)
{
	p->faults++;
	if (p->budget && p->faults > p->budget) {
		printf("pager_template: fault %lu at %#lx (pc %#lx): over the budget of %lu\n",
		       p->faults, (unsigned long)m->w[0], (unsigned long)m->w[2], p->budget);
		return REFUSE;
	}
	return FORWARD;
}

/* POLICY 3: what the system's pager did with a forwarded fault
 * (PFWD_*: mapped, zero-filled, copied, ...; or -ERR_* if refused). */
static void policy_resolved(struct policy *p, const struct ipc_msg *m, int64_t how)
{
	(void)m;
	if (how > 0 && how <= PFWD_RESUMED)
		p->how[how]++;
}

/* ---- the loop: usually nothing to change below ---- */

int main(int argc, char **argv)
{
	struct policy pol;
	int first = policy_init(&pol, argc, argv);
	int64_t ep = sys_endpoint_create(), pid;
	struct ipc_msg m = { 0 };
	int status = 0;

	if (first >= argc) {
		printf("usage: pager_template [-n MAX] PROGRAM ARGS...\n");
		return 2;
	}
	if (ep < 0 || (pid = taskpager_start((const char *const *)argv + first, (uint64_t)ep)) < 0) {
		printf("pager_template: cannot start %s\n", argv[first]);
		return 1;
	}
	for (;;) {
		if (ipc_recv((uint64_t)ep, &m) < 0)
			continue;
		if (taskpager_is_death(&m)) {	/* the child is gone */
			taskpager_forward_death(pid);	/* (the pager may know already) */
			break;
		}
		if (!taskpager_is_fault(&m) || taskpager_pid(&m) != pid)
			continue;
		if (policy_decide(&pol, &m) == FORWARD) {
			policy_resolved(&pol, &m, taskpager_forward(&m, pid, NULL));
		} else {
			pol.refused++;
			taskpager_answer(FAULT_REPLY_KILL);	/* its death message comes next */
		}
	}
	waitpid((pid_t)pid, &status, 0);
	printf("pager_template: done: pid %ld status %d: %lu faults (mapped %lu, zero %lu, "
	       "copy %lu, fill %lu), %lu refused\n", (long)pid, status, pol.faults,
	       pol.how[PFWD_MAPPED], pol.how[PFWD_ZERO], pol.how[PFWD_COPY], pol.how[PFWD_FILL],
	       pol.refused);
	return 0;
}
