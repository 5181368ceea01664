# svg-check.awk FILE: is FILE well-formed XML as far as an SVG from
# tools/trace/tracesvg goes: every tag closed in order, attribute values
# quoted, entities known, one root element. Prints "ok ROOT" or the first
# problem, and exits non-zero on one.
function fail(why) { print "svg-check: " why; bad = 1; exit 1 }
{ doc = doc $0 "\n" }
END {
	if (bad)
		exit 1
	n = split(doc, parts, "<")
	if (parts[1] ~ /[^ \t\n]/)
		fail("text before the first tag")
	depth = 0; roots = 0
	for (i = 2; i <= n; i++) {
		p = parts[i]
		close_at = index(p, ">")
		if (!close_at)
			fail("a tag without its >: <" substr(p, 1, 40))
		tag = substr(p, 1, close_at - 1)
		text = substr(p, close_at + 1)
		if (index(text, ">"))
			fail("a stray > in text: " substr(text, 1, 40))
		t = text
		while ((k = index(t, "&"))) {
			rest = substr(t, k)
			if (rest !~ /^&(lt|gt|amp|quot|apos|#[0-9]+);/)
				fail("a bare & in text")
			t = substr(rest, 2)
		}
		if (depth == 0 && text ~ /[^ \t\n]/ && i < n)
			fail("text outside the root")
		if (tag ~ /^\?/ || tag ~ /^!/)
			continue
		q = tag; gsub(/[^"]/, "", q)
		if (length(q) % 2)
			fail("an unbalanced quote in <" substr(tag, 1, 40))
		if (tag ~ /^\//) {
			name = substr(tag, 2)
			if (depth == 0 || stack[depth] != name)
				fail("</" name "> closes <" stack[depth] ">")
			depth--
			continue
		}
		name = tag; sub(/[ \t\n\/].*/, "", name)
		if (name !~ /^[A-Za-z][A-Za-z0-9:_-]*$/)
			fail("a bad tag name <" name ">")
		if (depth == 0 && ++roots > 1)
			fail("a second root element <" name ">")
		if (tag ~ /\/$/)
			continue
		stack[++depth] = name
		if (depth == 1)
			root = name
	}
	if (depth)
		fail("<" stack[depth] "> never closed")
	if (!roots)
		fail("no root element")
	print "ok " root
}
