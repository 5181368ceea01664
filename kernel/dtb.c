/*
 * Flattened device tree parser. Owns the bounds checks on the header and its
 * three blocks, the walk of the structure block, and the extraction of the
 * boot facts in struct dtb_info. The blob comes from firmware (or a test's
 * mutator), so it is untrusted: every read is checked against the block it
 * belongs to, and every loop step consumes at least one 4-byte token, so
 * the walk always ends. Freestanding: no libc, not even memset.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dtb.h"

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1u
#define FDT_END_NODE	2u
#define FDT_PROP	3u
#define FDT_NOP		4u
#define FDT_END		9u
#define HDR_SIZE	40u	/* version 17 header; also enough for 16 */
#define MAX_DEPTH	16u

/* Node roles, decided from the node's name, place and properties. */
enum {
	N_TOP = 1 << 0, N_MEMNAME = 1 << 1,	/* root child; named memory[@..] */
	N_CPUS = 1 << 2, N_CPUS_CHILD = 1 << 3, N_CHOSEN = 1 << 4,
	N_RESMEM = 1 << 5, N_RESMEM_CHILD = 1 << 6,	/* /reserved-memory */
	N_DT_MEMORY = 1 << 7, N_DT_CPU = 1 << 8, N_DT_OTHER = 1 << 9, /* device_type */
	N_PLIC = 1 << 10, N_UART = 1 << 11, N_RTC = 1 << 12, N_VIRTIO = 1 << 13,
	N_CLINT = 1 << 14,
};

/* One open node. ac/sc are what this node says for its children's reg. */
struct level {
	uint32_t flags;
	uint32_t ac, sc;
	uint32_t reg_off, reg_len;	/* value location in the blob */
	bool has_reg;
	uint32_t irq;
	uint32_t ndev;
};

struct ctx {
	const uint8_t *b;
	uint64_t str_off, str_size;
	struct dtb_info *out;
	bool mem_found, plic_found, clint_found, uart_found, rtc_found;
	bool have_istart, have_iend;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint64_t align4(uint64_t x) { return (x + 3) & ~(uint64_t)3; }

/* Exact match of n bytes at p against the C string lit. */
static bool bytes_eq(const uint8_t *p, uint64_t n, const char *lit)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || (uint8_t)lit[i] != p[i])
			return false;
	return lit[n] == '\0';
}

/* Node name up to '@' (the unit address) equals lit. */
static bool name_is(const uint8_t *name, uint64_t len, const char *lit)
{
	uint64_t n = 0;

	while (n < len && name[n] != '@')
		n++;
	return bytes_eq(name, n, lit);
}

/* A "compatible"-style list of NUL-separated strings contains lit. */
static bool list_has(const uint8_t *p, uint64_t len, const char *lit)
{
	uint64_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '\0') {
			if (i > start && bytes_eq(p + start, i - start, lit))
				return true;
			start = i + 1;
		}
	}
	return false;
}

/* Property value of 4 or 8 bytes (one or two cells). */
static int prop_uint(const uint8_t *p, uint32_t len, uint64_t *v)
{
	if (len != 4 && len != 8)
		return DTB_ERR_MALFORMED;
	*v = len == 4 ? be32(p) : be64(p);
	return 0;
}

/* Entry idx of a reg value laid out with ac address and sc size cells. */
static int reg_entry(const struct ctx *c, const struct level *l,
		     const struct level *parent, uint32_t idx,
		     struct dtb_region *r)
{
	uint32_t ac = parent->ac, sc = parent->sc;
	uint64_t esz = 4u * ((uint64_t)ac + sc), off;
	const uint8_t *p;

	if (!l->has_reg || ac < 1 || ac > 2 || sc > 2 ||
	    ((uint64_t)idx + 1) * esz > l->reg_len)
		return DTB_ERR_MALFORMED;
	off = l->reg_off + (uint64_t)idx * esz;
	p = c->b + off;
	r->base = ac == 2 ? be64(p) : be32(p);
	p += 4u * ac;
	r->size = sc == 2 ? be64(p) : sc == 1 ? be32(p) : 0;
	return 0;
}

static int add_reserved(struct dtb_info *out, uint64_t base, uint64_t size)
{
	if (size == 0)
		return 0;
	if (out->nreserved == DTB_MAX_RESERVED)
		return DTB_ERR_TOOMANY;	/* dropping one could hand it out as RAM */
	out->reserved[out->nreserved++] = (struct dtb_region){ base, size };
	return 0;
}

/* Insert keeping ascending base order; when full, keep the lowest bases. */
static void add_virtio(struct dtb_info *out, const struct dtb_region *r,
		       uint32_t irq)
{
	uint32_t n = out->nvirtio, i;

	if (n == DTB_MAX_VIRTIO) {
		if (r->base >= out->virtio[n - 1].base)
			return;
		n--;
	}
	/* Field by field: a struct copy may become a memcpy call at -Os. */
	for (i = n; i > 0 && out->virtio[i - 1].base > r->base; i--) {
		out->virtio[i].base = out->virtio[i - 1].base;
		out->virtio[i].size = out->virtio[i - 1].size;
		out->virtio[i].irq = out->virtio[i - 1].irq;
	}
	out->virtio[i].base = r->base;
	out->virtio[i].size = r->size;
	out->virtio[i].irq = irq;
	out->nvirtio = n + 1;
}

/* A property of the innermost open node l (parent p is NULL for root). */
static int on_prop(struct ctx *c, struct level *l, const struct level *p,
		   const uint8_t *name, uint64_t nlen, uint64_t voff,
		   uint32_t len)
{
	const uint8_t *v = c->b + voff;
	struct dtb_info *out = c->out;
	uint64_t x;
	uint32_t i;
	int err;

	if (bytes_eq(name, nlen, "#address-cells") ||
	    bytes_eq(name, nlen, "#size-cells")) {
		if (len != 4)
			return DTB_ERR_MALFORMED;	/* children's reg unreadable */
		*(name[1] == 'a' ? &l->ac : &l->sc) = be32(v);
	} else if (bytes_eq(name, nlen, "reg")) {
		l->has_reg = true;
		l->reg_off = (uint32_t)voff;
		l->reg_len = len;
	} else if (bytes_eq(name, nlen, "interrupts")) {
		if (len >= 4)
			l->irq = be32(v);	/* one cell on the virt PLIC */
	} else if (bytes_eq(name, nlen, "riscv,ndev")) {
		if (len >= 4)
			l->ndev = be32(v);
	} else if (bytes_eq(name, nlen, "device_type")) {
		l->flags |= list_has(v, len, "memory") ? N_DT_MEMORY :
			    list_has(v, len, "cpu") ? N_DT_CPU : N_DT_OTHER;
	} else if (bytes_eq(name, nlen, "compatible") && p) {
		if (list_has(v, len, "riscv,plic0") ||
		    list_has(v, len, "sifive,plic-1.0.0"))
			l->flags |= N_PLIC;
		if (list_has(v, len, "riscv,clint0") ||
		    list_has(v, len, "sifive,clint0"))
			l->flags |= N_CLINT;
		if (list_has(v, len, "ns16550a"))
			l->flags |= N_UART;
		if (list_has(v, len, "google,goldfish-rtc"))
			l->flags |= N_RTC;
		if (list_has(v, len, "virtio,mmio"))
			l->flags |= N_VIRTIO;
	} else if (bytes_eq(name, nlen, "timebase-frequency") &&
		   (l->flags & (N_CPUS | N_CPUS_CHILD))) {
		/* /cpus's value comes first (properties precede children) */
		if ((err = prop_uint(v, len, &x)) < 0)
			return err;
		if ((l->flags & N_CPUS) || out->timebase_hz == 0)
			out->timebase_hz = x;
	} else if (l->flags & N_CHOSEN) {
		if (bytes_eq(name, nlen, "bootargs")) {
			for (i = 0; i < len && i < sizeof(out->bootargs) - 1 &&
			     v[i] != '\0'; i++)
				out->bootargs[i] = (char)v[i];
			out->bootargs[i] = '\0';
		} else if (bytes_eq(name, nlen, "linux,initrd-start")) {
			c->have_istart = true;
			return prop_uint(v, len, &out->initrd_start);
		} else if (bytes_eq(name, nlen, "linux,initrd-end")) {
			c->have_iend = true;
			return prop_uint(v, len, &out->initrd_end);
		}
	}
	return 0;
}

/* The node l is closing: all its properties are known now. */
static int on_end(struct ctx *c, const struct level *l,
		  const struct level *p)
{
	struct dtb_info *out = c->out;
	struct dtb_region r;
	uint32_t i, n;
	int err;

	if (!p)
		return 0;	/* the root itself carries nothing we use */
	/* A memory node: device_type "memory", or named so and untyped. */
	if ((l->flags & N_TOP) && !c->mem_found &&
	    ((l->flags & N_DT_MEMORY) ||
	     (l->flags & (N_MEMNAME | N_DT_CPU | N_DT_OTHER)) == N_MEMNAME)) {
		if ((err = reg_entry(c, l, p, 0, &out->mem)) < 0)
			return err;
		c->mem_found = true;
	}
	if ((l->flags & (N_CPUS_CHILD | N_DT_CPU)) == (N_CPUS_CHILD | N_DT_CPU))
		out->nharts++;
	if ((l->flags & N_RESMEM_CHILD) && l->has_reg) {
		uint64_t esz = 4u * ((uint64_t)p->ac + p->sc);

		if (esz == 0 || l->reg_len % esz != 0)
			return DTB_ERR_MALFORMED;
		n = (uint32_t)(l->reg_len / esz);
		for (i = 0; i < n; i++) {
			if ((err = reg_entry(c, l, p, i, &r)) < 0 ||
			    (err = add_reserved(out, r.base, r.size)) < 0)
				return err;
		}
	}
	if (!(l->flags & (N_PLIC | N_CLINT | N_UART | N_RTC | N_VIRTIO)))
		return 0;
	if ((err = reg_entry(c, l, p, 0, &r)) < 0)
		return err;
	if ((l->flags & N_PLIC) && !c->plic_found) {
		c->plic_found = true;
		out->plic_base = r.base;
		out->plic_size = r.size;
		out->plic_ndev = l->ndev;
	}
	if ((l->flags & N_CLINT) && !c->clint_found) {
		c->clint_found = true;
		out->clint_base = r.base;
		out->clint_size = r.size;
	}
	if ((l->flags & N_UART) && !c->uart_found) {
		c->uart_found = true;
		out->uart_base = r.base;
		out->uart_size = r.size;
		out->uart_irq = l->irq;
	}
	if ((l->flags & N_RTC) && !c->rtc_found) {
		c->rtc_found = true;
		out->rtc_base = r.base;
		out->rtc_size = r.size;
		out->rtc_irq = l->irq;
	}
	if (l->flags & N_VIRTIO)
		add_virtio(out, &r, l->irq);
	return 0;
}

/* Walk the structure block [off, end) token by token. */
static int walk(struct ctx *c, uint64_t off, uint64_t end)
{
	struct level st[MAX_DEPTH];
	uint32_t depth = 0, tok, len, nameoff;
	bool root_done = false;
	const uint8_t *b = c->b;
	uint64_t n, i;
	int err;

	for (;;) {
		if (end - off < 4)
			return DTB_ERR_MALFORMED;	/* ran out before FDT_END */
		tok = be32(b + off);
		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			struct level *l;
			const struct level *p;

			if (root_done || depth == MAX_DEPTH)
				return DTB_ERR_MALFORMED;
			for (n = 0; off + n < end && b[off + n] != '\0'; n++)
				;
			if (off + n >= end)
				return DTB_ERR_MALFORMED;	/* unterminated name */
			l = &st[depth];
			p = depth ? &st[depth - 1] : NULL;
			/* 2/1: the spec's defaults when a node sets no cells */
			*l = (struct level){ .ac = 2, .sc = 1 };
			if (depth == 1)
				l->flags = N_TOP |
					(name_is(b + off, n, "memory") ? N_MEMNAME :
					 name_is(b + off, n, "cpus") ? N_CPUS :
					 name_is(b + off, n, "chosen") ? N_CHOSEN :
					 name_is(b + off, n, "reserved-memory") ?
					 N_RESMEM : 0);
			else if (depth == 2)
				l->flags = p->flags & N_CPUS ? N_CPUS_CHILD :
					   p->flags & N_RESMEM ? N_RESMEM_CHILD : 0;
			depth++;
			off = align4(off + n + 1);
			if (off > end)
				return DTB_ERR_MALFORMED;
			break;
		}
		case FDT_END_NODE:
			if (depth == 0)
				return DTB_ERR_MALFORMED;	/* unbalanced */
			depth--;
			err = on_end(c, &st[depth], depth ? &st[depth - 1] : NULL);
			if (err < 0)
				return err;
			if (depth == 0)
				root_done = true;
			break;
		case FDT_PROP:
			if (depth == 0 || end - off < 8)
				return DTB_ERR_MALFORMED;
			len = be32(b + off);
			nameoff = be32(b + off + 4);
			off += 8;
			if (len > end - off || nameoff >= c->str_size)
				return DTB_ERR_MALFORMED;
			for (i = nameoff; i < c->str_size &&
			     b[c->str_off + i] != '\0'; i++)
				;
			if (i == c->str_size)
				return DTB_ERR_MALFORMED;	/* unterminated name */
			err = on_prop(c, &st[depth - 1],
				      depth > 1 ? &st[depth - 2] : NULL,
				      b + c->str_off + nameoff, i - nameoff,
				      off, len);
			if (err < 0)
				return err;
			off = align4(off + len);
			if (off > end)
				return DTB_ERR_MALFORMED;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return root_done ? 0 : DTB_ERR_MALFORMED;
		default:
			return DTB_ERR_MALFORMED;
		}
	}
}

int dtb_parse(const void *blob, uint64_t maxlen, struct dtb_info *out)
{
	const uint8_t *b = blob;
	uint32_t total, o_struct, o_str, o_rsv, version, last_comp;
	uint64_t s_struct, s_str, off;
	struct ctx c;
	uint64_t i;
	int err;

	if (!b || !out)
		return DTB_ERR_MAGIC;
	/* volatile: keeps gcc from turning this into a memset call */
	for (i = 0; i < sizeof(*out); i++)
		((volatile uint8_t *)out)[i] = 0;
	if (maxlen < 4)
		return DTB_ERR_BOUNDS;
	if (be32(b) != FDT_MAGIC)
		return DTB_ERR_MAGIC;
	if (maxlen < HDR_SIZE)
		return DTB_ERR_BOUNDS;
	total = be32(b + 4);
	o_struct = be32(b + 8);
	o_str = be32(b + 12);
	o_rsv = be32(b + 16);
	version = be32(b + 20);
	last_comp = be32(b + 24);
	s_str = be32(b + 32);
	if (version < 16 || last_comp > 17)
		return DTB_ERR_VERSION;
	if (total > maxlen || total < HDR_SIZE)
		return DTB_ERR_BOUNDS;
	out->totalsize = total;
	/* version 16 has no size_dt_struct: the block runs to totalsize */
	if (o_struct > total)
		return DTB_ERR_BOUNDS;
	s_struct = version >= 17 ? be32(b + 36) : total - o_struct;
	if ((uint64_t)o_struct + s_struct > total ||
	    (uint64_t)o_str + s_str > total || o_rsv > total)
		return DTB_ERR_BOUNDS;
	if (o_struct % 4 != 0 || o_rsv % 8 != 0)
		return DTB_ERR_MALFORMED;

	/* Memory reservation block: (address, size) pairs up to a (0, 0). */
	for (off = o_rsv;; off += 16) {
		if (total - off < 16)
			return DTB_ERR_BOUNDS;
		if (be64(b + off) == 0 && be64(b + off + 8) == 0)
			break;
		err = add_reserved(out, be64(b + off), be64(b + off + 8));
		if (err < 0)
			return err;
	}

	c = (struct ctx){ .b = b, .str_off = o_str, .str_size = s_str,
			  .out = out };
	if ((err = walk(&c, o_struct, (uint64_t)o_struct + s_struct)) < 0)
		return err;
	if (!c.mem_found)
		return DTB_ERR_NOMEM;
	if (!c.have_istart || !c.have_iend) {
		out->initrd_start = out->initrd_end = 0;
	} else if (out->initrd_end < out->initrd_start) {
		return DTB_ERR_MALFORMED;
	}
	return 0;
}

const char *dtb_error_string(int err)
{
	switch (err) {
	case 0: return "ok";
	case DTB_ERR_MAGIC: return "not a device tree (bad magic)";
	case DTB_ERR_VERSION: return "unsupported device tree version";
	case DTB_ERR_BOUNDS: return "device tree truncated: a block lies outside its size";
	case DTB_ERR_MALFORMED: return "malformed device tree structure or property";
	case DTB_ERR_NOMEM: return "no memory node in device tree";
	case DTB_ERR_TOOMANY: return "too many reserved memory regions in device tree";
	default: return "unknown device tree error";
	}
}
