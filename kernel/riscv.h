/*
 * RISC-V privileged-architecture definitions the kernel uses: CSR access,
 * trap causes, and the Sv39 page-table entry format.
 */
#ifndef KERNEL_RISCV_H
#define KERNEL_RISCV_H

#include <stdint.h>

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"((uint64_t)(v)))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"((uint64_t)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"((uint64_t)(v)))

#define SSTATUS_SIE	(1ul << 1)
#define SSTATUS_SPIE	(1ul << 5)
#define SSTATUS_SPP	(1ul << 8)
#define SSTATUS_FS_INIT	(1ul << 13)
#define SSTATUS_FS	(3ul << 13)
#define SSTATUS_SUM	(1ul << 18)

#define SIE_STIE	(1ul << 5)
#define SIE_SEIE	(1ul << 9)
#define SIP_STIP	(1ul << 5)
#define SIP_SEIP	(1ul << 9)

#define CAUSE_INTERRUPT		(1ul << 63)
#define IRQ_S_TIMER		5
#define IRQ_S_EXTERNAL		9

#define EXC_INST_MISALIGNED	0
#define EXC_INST_ACCESS		1
#define EXC_ILLEGAL		2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_LOAD_ACCESS		5
#define EXC_STORE_MISALIGNED	6
#define EXC_STORE_ACCESS	7
#define EXC_ECALL_U		8
#define EXC_INST_PAGE		12
#define EXC_LOAD_PAGE		13
#define EXC_STORE_PAGE		15

/*
 * Sv39: a 39-bit virtual address is three 9-bit indices and a 12-bit
 * offset; each level is a 4 KiB table of 512 PTEs.
 *
 *   38        30 29        21 20        12 11           0
 *  |  VPN[2]    |  VPN[1]    |  VPN[0]    |    offset    |
 *
 * A PTE holds PPN << 10 and the flag bits below; a valid PTE with R, W or X
 * set is a leaf (4 KiB, 2 MiB or 1 GiB page at level 0, 1, 2).
 */
#define PTE_V	(1ul << 0)
#define PTE_R	(1ul << 1)
#define PTE_W	(1ul << 2)
#define PTE_X	(1ul << 3)
#define PTE_U	(1ul << 4)
#define PTE_G	(1ul << 5)
#define PTE_A	(1ul << 6)
#define PTE_D	(1ul << 7)
#define PTE_WOK	(1ul << 8)	/* RSW: W may be granted (the source had W) */
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)

#define PTE_PA(pte)	(((pte) >> 10) << 12)
#define PA_PTE(pa)	(((uint64_t)(pa) >> 12) << 10)
#define VPN(va, level)	(((va) >> (12 + 9 * (level))) & 0x1ff)

#define SATP_SV39	(8ul << 60)

/* Kernel virtual addresses: all physical memory is mapped at KERNBASE. */
#define KERNBASE	0xffffffc000000000ul
#define PHYSMAP_GIB	16
#define P2V(pa)		((void *)((uint64_t)(pa) + KERNBASE))
#define V2P(va)		((uint64_t)(va) - KERNBASE)

static inline void sfence_vma(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }
static inline void sfence_vma_va(uint64_t va) { __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi"); }

#endif
