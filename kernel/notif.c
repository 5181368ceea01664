/*
 * Notifications (a word of bits and one waiter) and device interrupts. The
 * PLIC routes each source to the boot hart's S-mode context; an IRQ bound
 * to a notification ORs its bits in and stays claimed (masked) until the
 * driver acknowledges it with SYS_IRQ_ACK, so a level-triggered device
 * cannot storm while its driver runs.
 */
#include "abi/kernel.h"
#include "kmem.h"
#include "lib.h"
#include "object.h"
#include "riscv.h"

#define MAX_IRQ 128

static volatile uint32_t *plic;
static uint32_t plic_ctx;
static struct { struct notif *n; uint64_t bits; bool claimed; } irqs[MAX_IRQ];

struct notif *notif_create(struct kquota *kq)
{
	struct notif *n = kobj_alloc_q(kq, sizeof(*n));

	if (n) {
		n->hdr.type = KOBJ_NOTIF;
		n->kq = kq;
	}
	return n;
}

void notif_free(struct notif *n)
{
	timer_cancel(n);
	if (n->waiter) {
		n->waiter->regs.x[R_A0] = (uint64_t)-ERR_BADF;
		sched_ready(n->waiter);
	}
	kobj_free_q(n->kq, n, sizeof(*n));
}

bool notif_signal(struct notif *n, uint64_t bits)
{
	struct thread *w = n->waiter;

	n->bits |= bits;
	if (!w)
		return false;
	n->waiter = NULL;
	w->regs.x[R_A0] = n->bits;
	n->bits = 0;
	sched_ready(w);
	return true;
}

void notif_wait(struct thread *t, struct notif *n)
{
	if (n->bits || n->waiter) {
		/* Bits pending: take them. A second waiter is refused. */
		t->regs.x[R_A0] = n->bits ? n->bits : (uint64_t)-ERR_BUSY;
		n->bits = 0;
		return;
	}
	n->waiter = t;
	t->blocked_notif = n;
	t->state = TS_NOTIF;
	schedule();
}

#define PLIC_PRIORITY(irq)	((irq))
#define PLIC_ENABLE(ctx)	((0x2000 + 0x80 * (ctx)) / 4)
#define PLIC_THRESHOLD(ctx)	((0x200000 + 0x1000 * (ctx)) / 4)
#define PLIC_CLAIM(ctx)		((0x200004 + 0x1000 * (ctx)) / 4)

void irq_init(uint64_t plic_pa, uint64_t hartid)
{
	if (!plic_pa)
		return;
	plic = P2V(plic_pa);
	plic_ctx = (uint32_t)(2 * hartid + 1);	/* S-mode context of this hart */
	plic[PLIC_THRESHOLD(plic_ctx)] = 0;
	csr_set(sie, SIE_SEIE);
}

/* Bind irq to n (replacing any binding), or unbind it when n is NULL. The
 * caller holds irq's IRQ handle (device.c), which is the pager's to give. */
int irq_bind(uint32_t irq, struct notif *n, uint64_t bits)
{
	if (!plic || irq == 0 || irq >= MAX_IRQ)
		return -ERR_INVAL;
	if (irqs[irq].n)
		kobj_unref(&irqs[irq].n->hdr);
	if (irqs[irq].claimed) {	/* the old driver never acked it */
		plic[PLIC_CLAIM(plic_ctx)] = irq;
		irqs[irq].claimed = false;
	}
	irqs[irq].n = n;
	irqs[irq].bits = bits;
	if (!n) {
		plic[PLIC_ENABLE(plic_ctx) + irq / 32] &= ~(1u << (irq % 32));
		return 0;
	}
	kobj_ref(&n->hdr);
	plic[PLIC_PRIORITY(irq)] = 1;
	plic[PLIC_ENABLE(plic_ctx) + irq / 32] |= 1u << (irq % 32);
	return 0;
}

/* Complete a delivered interrupt so the PLIC may raise it again. An ack
 * with nothing claimed changes nothing. */
int irq_ack(uint32_t irq)
{
	if (!plic || irq == 0 || irq >= MAX_IRQ || !irqs[irq].n)
		return -ERR_INVAL;
	if (irqs[irq].claimed) {
		plic[PLIC_CLAIM(plic_ctx)] = irq;	/* complete */
		irqs[irq].claimed = false;
	}
	return 0;
}

void irq_handle(void)
{
	uint32_t irq;

	while (plic && (irq = plic[PLIC_CLAIM(plic_ctx)]) != 0) {
		if (irq < MAX_IRQ && irqs[irq].n) {
			irqs[irq].claimed = true;
			notif_signal(irqs[irq].n, irqs[irq].bits);
		}
		else
			plic[PLIC_CLAIM(plic_ctx)] = irq;	/* nobody's: complete */
	}
}

