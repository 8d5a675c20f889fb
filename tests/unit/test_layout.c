/* Unit tests for the repository layout rule (layout.h). */
#include "tap.h"
#include <dnsd/layout.h>
#include <string.h>

static void test_classify(void)
{
	size_t zl = 99;

	CHECK_INT(dnsd_layout_classify("example.org", NULL, &zl),
	          DNSD_LAYOUT_ZONE);
	CHECK_INT(zl, 11);
	CHECK_INT(dnsd_layout_classify("example.org.zone", NULL, &zl),
	          DNSD_LAYOUT_ZONE);
	CHECK_INT(zl, 11);
	CHECK_INT(dnsd_layout_classify(".zone", NULL, &zl),
	          DNSD_LAYOUT_IGNORED);
	CHECK_INT(dnsd_layout_classify("mirage", NULL, &zl), DNSD_LAYOUT_ZONE);
	CHECK_INT(zl, 6);
	CHECK_INT(dnsd_layout_classify("_keys", NULL, &zl), DNSD_LAYOUT_KEYS);
	CHECK_INT(zl, 0);
	CHECK_INT(dnsd_layout_classify("mirage._keys", NULL, &zl),
	          DNSD_LAYOUT_KEYS);
	CHECK_INT(zl, 6);
	static const char *const ignored[] = {
	    ".git",      ".dnsdignore", ".hidden.org", "README",
	    "readme.md", "README.txt",  "LICENSE",     "notes.md",
	    "NOTES.MD",  "todo.txt",    "a/b",         ""};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		CHECK_INT(dnsd_layout_classify(ignored[i], NULL, NULL),
		          DNSD_LAYOUT_IGNORED);
}

static void test_ignore_file(void)
{
	dnsd_layout_ignore ig = {0};
	const char text[] = "# comment\n"
	                    "\n"
	                    "  *.draft  \r\n"
	                    "old-*\n"
	                    "exact.org\n"
	                    "\t# indented comment";

	CHECK_INT(dnsd_layout_ignore_parse(text, strlen(text), &ig), 0);
	CHECK_INT(ig.count, 3);
	CHECK_STR(ig.globs[0], "*.draft");
	CHECK_STR(ig.globs[1], "old-*");
	CHECK_STR(ig.globs[2], "exact.org");
	CHECK_INT(dnsd_layout_classify("x.org.draft", &ig, NULL),
	          DNSD_LAYOUT_IGNORED);
	CHECK_INT(dnsd_layout_classify("old-example.org", &ig, NULL),
	          DNSD_LAYOUT_IGNORED);
	CHECK_INT(dnsd_layout_classify("exact.org", &ig, NULL),
	          DNSD_LAYOUT_IGNORED);
	CHECK_INT(dnsd_layout_classify("exact.org.zone", &ig, NULL),
	          DNSD_LAYOUT_ZONE);
	/* a key file can be ignored too */
	CHECK_INT(dnsd_layout_ignore_parse("*._keys", 7, &ig), 0);
	CHECK_INT(dnsd_layout_classify("a.org._keys", &ig, NULL),
	          DNSD_LAYOUT_IGNORED);
	CHECK_INT(dnsd_layout_classify("_keys", &ig, NULL), DNSD_LAYOUT_KEYS);
	dnsd_layout_ignore_free(&ig);
	CHECK_INT(ig.count, 0);
	CHECK(ig.globs == NULL);
}

int main(void)
{
	test_classify();
	test_ignore_file();
	return tap_done();
}
