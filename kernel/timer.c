/*
 * Kernel timers and the hardware timer. A task arms a one-shot timer on a
 * notification it holds (SYS_TIMER_SET); at the deadline (in `time` CSR
 * ticks) the kernel ORs the arming handle's bits into the notification,
 * as a bound IRQ would. The deadline lives in the notification itself, so
 * arming allocates nothing and costs no quota beyond the notification
 * (still one 64-byte object); freeing the notification disarms it.
 *
 * Armed notifications sit in a treap ordered by (deadline, address): the
 * two child links fit in the object, and a node's priority is a hash of
 * its address and a boot-time seed, so the tree is O(log n) deep on
 * average whatever deadlines a user picks, and every operation here is
 * iterative. The earliest armed timer is cached.
 *
 * The hardware timer is programmed for the earlier of the next scheduler
 * tick and the first deadline, so a timer fires at its deadline, not at
 * the next quantum.
 */
#include "abi/kernel.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"
#include "sbi.h"
#include "syscall.h"

_Static_assert(sizeof(struct notif) <= 64, "a notification stays one 64-byte object");

extern uint64_t timer_quantum;

static struct notif *root;	/* the treap of armed notifications */
static struct notif *first;	/* its earliest, or NULL */
static uint64_t tick_at;	/* the next scheduler tick */
static uint64_t programmed;	/* what the hardware timer is set to */
static uint64_t seed;
uint64_t timebase_hz;

static uint64_t now(void)
{
	return csr_read(time);
}

static uint64_t prio(const struct notif *n)
{
	uint64_t x = (uint64_t)n ^ seed;

	/* splitmix64's finaliser: every address bit moves every result bit. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ul;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebul;
	return x ^ (x >> 31);
}

/* The treap's order: deadline, then address (so keys are unique). */
static bool before(const struct notif *a, const struct notif *b)
{
	return a->timer_at < b->timer_at || (a->timer_at == b->timer_at && a < b);
}

static void insert(struct notif *n)
{
	struct notif **p = &root, *t, **l, **r;

	while (*p && prio(*p) >= prio(n))
		p = before(n, *p) ? &(*p)->timer_left : &(*p)->timer_right;
	/* n goes here; split what was here by n's key into its children. */
	t = *p;
	l = &n->timer_left;
	r = &n->timer_right;
	while (t) {
		if (before(t, n)) {
			*l = t;
			l = &t->timer_right;
			t = t->timer_right;
		} else {
			*r = t;
			r = &t->timer_left;
			t = t->timer_left;
		}
	}
	*l = *r = NULL;
	*p = n;
	if (!first || before(n, first))
		first = n;
}

static void remove(struct notif *n)
{
	struct notif **p = &root, *a, *b;

	while (*p != n) {
		KASSERT(*p);
		p = before(n, *p) ? &(*p)->timer_left : &(*p)->timer_right;
	}
	/* Merge n's subtrees (all of a before all of b) into its place. */
	a = n->timer_left;
	b = n->timer_right;
	while (a && b) {
		if (prio(a) >= prio(b)) {
			*p = a;
			p = &a->timer_right;
			a = a->timer_right;
		} else {
			*p = b;
			p = &b->timer_left;
			b = b->timer_left;
		}
	}
	*p = a ? a : b;
	n->timer_left = n->timer_right = NULL;
	n->timer_at = 0;
	if (first == n) {
		for (first = root; first && first->timer_left; first = first->timer_left)
			;
	}
}

/* Set the hardware timer for the earlier of the tick and the first timer. */
static void program(void)
{
	uint64_t when = tick_at;

	if (first && first->timer_at < when)
		when = first->timer_at;
	if (when != programmed) {
		programmed = when;
		sbi_set_timer(when);
	}
}

void timer_start(uint64_t hz)
{
	timebase_hz = hz;
	seed = now() * 0x9e3779b97f4a7c15ul;
	tick_at = now() + timer_quantum;
	programmed = 0;
	program();
}

void timer_cancel(struct notif *n)
{
	if (n->timer_at) {
		remove(n);
		program();
	}
}

#define TIMER_BATCH 64

/* The timer interrupt (or a pending one seen while idle): fire what is
 * due, up to TIMER_BATCH; true if the scheduler's quantum is over.
 * *fired: whether a timer woke a thread (one that woke nobody must not
 * cut the running thread's turn short). */
bool timer_interrupt(bool *fired)
{
	uint64_t t = now();
	bool tick = false;

	*fired = false;
	/* At most TIMER_BATCH per interrupt: a task with a thousand timers
	 * due at once (within its quota) gets them over several interrupts,
	 * the hardware timer set in the past between them. */
	for (unsigned n_fired = 0; first && first->timer_at <= t && n_fired < TIMER_BATCH; n_fired++) {
		struct notif *n = first;
		uint64_t bits = n->timer_bits;
		remove(n);
		if (notif_signal(n, bits))
			*fired = true;	/* only a woken thread is worth a yield */
	}
	if (t >= tick_at) {
		tick_at = t + timer_quantum;
		tick = true;
	}
	programmed = 0;		/* the interrupt is pending until we set it */
	program();
	return tick;
}

/* SYS_TIMER_SET (notification, deadline or 0 = cancel) -> 0. The handle
 * needs send and receive rights: the timer notifies, and only a waiter's
 * side may change its timer (a task handed a send-only copy cannot). */
int64_t sys_timer_set(struct thread *t, const uint64_t *a)
{
	int err = 0;
	uint64_t badge;
	struct notif *n = (struct notif *)handle_get(t->task, a[0], KOBJ_NOTIF,
						     RIGHT_SEND | RIGHT_RECV, &badge, &err);

	if (!n)
		return err;
	if (n->timer_at)
		remove(n);
	if (a[1] && a[1] <= now()) {
		notif_signal(n, notif_bits(badge));	/* past: at once */
	} else if (a[1]) {
		n->timer_at = a[1];
		n->timer_bits = notif_bits(badge);
		insert(n);
	}
	program();
	return 0;
}
