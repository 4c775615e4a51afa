/* Unit tests: the NSS module's record checks and packing (nss_module/convert.c).
 *
 * convert.c has no LDAP in it, so it is compiled in here directly: these
 * are the rules about what may ever reach a passwd/group/shadow line.
 */
#include "../../nss_module/convert.c"

#include <check.h>
#include <stdlib.h>

START_TEST(ids_strict)
{
	unsigned long v;

	ck_assert_int_eq(nss_parse_id("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(nss_parse_id("10001", &v), 0);
	ck_assert_uint_eq(v, 10001);
	ck_assert_int_eq(nss_parse_id("4294967294", &v), 0);
	ck_assert_int_eq(nss_parse_id("4294967295", &v), -EINVAL);   /* (uid_t)-1 */
	ck_assert_int_eq(nss_parse_id("99999999999", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id(NULL, &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id(" 1", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("1 ", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("+1", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("-1", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("0x10", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("1e3", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_id("12a", &v), -EINVAL);
}
END_TEST

START_TEST(shadow_numbers)
{
	long v;

	ck_assert_int_eq(nss_parse_shadow_long(NULL, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(nss_parse_shadow_long("-1", &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(nss_parse_shadow_long("20000", &v), 0);
	ck_assert_int_eq(v, 20000);
	ck_assert_int_eq(nss_parse_shadow_long("-2", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_shadow_long("2147483648", &v), -EINVAL);
	ck_assert_int_eq(nss_parse_shadow_long("7 ", &v), -EINVAL);
}
END_TEST

START_TEST(fields)
{
	ck_assert_int_eq(nss_field_ok("Alice Liddell", 0), 1);
	ck_assert_int_eq(nss_field_ok("a,b", 0), 1);
	ck_assert_int_eq(nss_field_ok("a,b", 1), 0);
	ck_assert_int_eq(nss_field_ok("Bad: Gecos:0:0:/root:/bin/sh", 0), 0);
	ck_assert_int_eq(nss_field_ok("two\nlines", 0), 0);
	ck_assert_int_eq(nss_field_ok("cr\r", 0), 0);
}
END_TEST

START_TEST(pw_build_rules)
{
	struct nss_pw p;
	const char *why;

	ck_assert_int_eq(nss_pw_build("alice", "10001", "10001", NULL, "Alice L", "/home/alice",
				      "/bin/bash", 1000, &p, &why), 0);
	ck_assert_str_eq(p.gecos, "Alice L");            /* falls back to cn */
	nss_pw_clear(&p);
	ck_assert_int_eq(nss_pw_build("alice", "10001", "10001", NULL, NULL, NULL, NULL, 1000, &p, &why), 0);
	ck_assert_str_eq(p.gecos, "");
	ck_assert_str_eq(p.shell, "");
	nss_pw_clear(&p);
	ck_assert_int_eq(nss_pw_build("evilroot", "0", "0", "x", NULL, "/root", "/bin/sh", 1000, &p, &why), -EPERM);
	ck_assert_int_eq(nss_pw_build("lowuid", "999", "10001", "x", NULL, "/", "/bin/sh", 1000, &p, &why), -EPERM);
	ck_assert_int_eq(nss_pw_build("bad", "10011", "10001", "Bad: Gecos:0:0", NULL, "/", "/bin/sh", 1000, &p, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(nss_pw_build("bad", "10011", "10001", "g", NULL, "/home/x\n", "/bin/sh", 1000, &p, &why), -EINVAL);
	ck_assert_int_eq(nss_pw_build("a:b", "10011", "10001", "g", NULL, "/", "/bin/sh", 1000, &p, &why), -EINVAL);
	ck_assert_int_eq(nss_pw_build("bad", "10011 ", "10001", "g", NULL, "/", "/bin/sh", 1000, &p, &why), -EINVAL);
	ck_assert_int_eq(nss_pw_build("bad", "10011", "", "g", NULL, "/", "/bin/sh", 1000, &p, &why), -EINVAL);
	ck_assert_int_eq(nss_pw_build("", "10011", "1", "g", NULL, "/", "/bin/sh", 1000, &p, &why), -EINVAL);
}
END_TEST

START_TEST(gr_build_rules)
{
	char *mem[] = { "alice", "bob", NULL };
	char *badmem[] = { "alice", "bo,b", NULL };
	struct nss_gr g;
	const char *why;

	ck_assert_int_eq(nss_gr_build("staff", "10001", mem, 2, 1000, &g, &why), 0);
	ck_assert_uint_eq(g.nmem, 2);
	nss_gr_clear(&g);
	ck_assert_int_eq(nss_gr_build("wheel0", "0", mem, 2, 1000, &g, &why), -EPERM);
	ck_assert_int_eq(nss_gr_build("staff", "10001", badmem, 2, 1000, &g, &why), -EINVAL);
	ck_assert_int_eq(nss_gr_build("st:aff", "10001", mem, 2, 1000, &g, &why), -EINVAL);
}
END_TEST

/* Every length short of the need is ERANGE; the exact need fits. */
START_TEST(pw_pack_every_length)
{
	struct nss_pw p;
	struct passwd pw;
	const char *why;
	char buf[256];
	size_t need = 0;

	ck_assert_int_eq(nss_pw_build("alice", "10001", "10001", "Alice", NULL, "/home/alice",
				      "/bin/bash", 1000, &p, &why), 0);
	for (size_t len = 0; len < sizeof(buf); len++) {
		if (nss_pw_pack(&p, &pw, buf, len) == 0) {
			need = len;
			break;
		}
	}
	ck_assert_uint_eq(need, strlen("alice") + 1 + 2 + strlen("Alice") + 1 + strlen("/home/alice") + 1 +
				       strlen("/bin/bash") + 1);
	ck_assert_str_eq(pw.pw_name, "alice");
	ck_assert_str_eq(pw.pw_passwd, "x");
	ck_assert_str_eq(pw.pw_shell, "/bin/bash");
	ck_assert_uint_eq(pw.pw_uid, 10001);
	nss_pw_clear(&p);
}
END_TEST

START_TEST(gr_pack_alignment)
{
	char *mem[] = { "alice", "bob", "carol", NULL };
	struct nss_gr g;
	struct group gr;
	const char *why;
	char raw[512];

	ck_assert_int_eq(nss_gr_build("staff", "10001", mem, 3, 1000, &g, &why), 0);
	for (size_t off = 0; off < 8; off++) {
		size_t len;
		for (len = 0; len < sizeof(raw) - 8; len++)
			if (nss_gr_pack(&g, 0, &gr, raw + off, len) == 0)
				break;
		ck_assert_uint_lt(len, sizeof(raw) - 8);
		ck_assert_uint_eq((uintptr_t)gr.gr_mem % sizeof(char *), 0);
		ck_assert_str_eq(gr.gr_mem[2], "carol");
		ck_assert_ptr_null(gr.gr_mem[3]);
		ck_assert((char *)gr.gr_mem >= raw + off);
	}
	ck_assert_int_eq(nss_gr_pack(&g, 1, &gr, raw, sizeof(raw)), 0);
	ck_assert_ptr_null(gr.gr_mem[0]);
	nss_gr_clear(&g);
}
END_TEST

START_TEST(sp_pack_never_hash)
{
	const char *f[6] = { "20000", "0", "90", "7", NULL, "1" };
	struct nss_sp s;
	struct spwd sp;
	const char *why;
	char buf[64];

	ck_assert_int_eq(nss_sp_build("alice", f, &s, &why), 0);
	ck_assert_int_eq(nss_sp_pack(&s, &sp, buf, sizeof(buf)), 0);
	ck_assert_str_eq(sp.sp_pwdp, "*");
	ck_assert_int_eq(sp.sp_lstchg, 20000);
	ck_assert_int_eq(sp.sp_inact, -1);
	ck_assert_int_eq(sp.sp_expire, 1);
	ck_assert_int_eq(nss_sp_pack(&s, &sp, buf, 7), -ERANGE);
	nss_sp_clear(&s);
}
END_TEST

START_TEST(members_and_dns)
{
	char *v[6];
	char name[64];
	size_t n;

	v[0] = strdup("bob");
	v[1] = strdup("alice");
	v[2] = strdup("bob");
	v[3] = strdup("carol");
	v[4] = strdup("alice");
	v[5] = NULL;
	n = nss_members_uniq(v, 5);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0], "alice");
	ck_assert_str_eq(v[2], "carol");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	ck_assert_int_eq(nss_dn_uid("uid=alice,ou=people,dc=example,dc=org", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "alice");
	ck_assert_int_eq(nss_dn_uid("UID=bob,dc=x", name, sizeof(name)), 0);
	ck_assert_int_eq(nss_dn_uid("cn=developers,ou=groups,dc=x", name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(nss_dn_uid("uid=a\\2cb,dc=x", name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(nss_dn_uid("uid=a+cn=b,dc=x", name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(nss_dn_uid("uid=,dc=x", name, sizeof(name)), -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nss_convert");
	TCase *tc = tcase_create("convert");

	tcase_add_test(tc, ids_strict);
	tcase_add_test(tc, shadow_numbers);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, pw_build_rules);
	tcase_add_test(tc, gr_build_rules);
	tcase_add_test(tc, pw_pack_every_length);
	tcase_add_test(tc, gr_pack_alignment);
	tcase_add_test(tc, sp_pack_never_hash);
	tcase_add_test(tc, members_and_dns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
