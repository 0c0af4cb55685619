/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_config_lines.h"
#include "nc_cli.h"

#define ROOT "/" NC_CLI_MODULE ":cfn"
#define MAX_WORDS 16
#define MAX_TEXT 512
#define MAX_DEF 256 /* a path or format of the table */
#define MAX_VALUE 64

static size_t split_words(char *text, char **words)
{
	char *save = NULL;
	size_t n = 0;

	for (char *w = strtok_r(text, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (n == MAX_WORDS)
			return MAX_WORDS + 1;
		words[n++] = w;
	}
	return n;
}

static bool is_placeholder(const char *word)
{
	size_t len = strlen(word);

	return len > 2 && word[0] == '{' && word[len - 1] == '}';
}

/* "{name}" -> "name" in buf */
static const char *placeholder_name(const char *word, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strlen(word) - 2, word + 1);
	return buf;
}

static unsigned int path_depth(const char *path)
{
	unsigned int depth = 0;

	for (; *path; path++)
		depth += *path == '/';
	return depth;
}

/* -- rendering a tree into lines ---------------------------------------- */

static const struct lyd_node *enclosing_list(const struct lyd_node *node,
					     const char *list)
{
	for (; node; node = lyd_parent(node))
		if (node->schema->nodetype == LYS_LIST &&
		    !strcmp(node->schema->name, list))
			return node;
	return NULL;
}

/*
 * A leaf's value as bgpd takes it: libyang's canonical decimal64 has a
 * fraction even when it is whole ("3600001.0"); bgpd is sent the
 * integer, as vtysh users write it.
 */
static const char *command_value(const struct lyd_node *leaf,
				 char buf[MAX_VALUE])
{
	const char *value = lyd_get_value(leaf);
	size_t len = strlen(value);

	if (((const struct lysc_node_leaf *)leaf->schema)->type->basetype !=
		    LY_TYPE_DEC64 ||
	    len < 2 || strcmp(value + len - 2, ".0"))
		return value;
	snprintf(buf, MAX_VALUE, "%.*s", (int)(len - 2), value);
	return buf;
}

static const char *child_value(const struct lyd_node *node, const char *name,
			       char buf[MAX_VALUE])
{
	struct lyd_node *child = NULL;

	if (lyd_find_path(node, name, 0, &child) != LY_SUCCESS)
		return NULL;
	return command_value(child, buf);
}

/*
 * Value of a placeholder at node (maybe in buf); *is_key tells whether
 * it identifies the setting (a list key) or is its value.
 */
static const char *placeholder_value(const struct lyd_node *node,
				     const char *name, bool *is_key,
				     char buf[MAX_VALUE])
{
	const char *colon = strchr(name, ':');
	const struct lyd_node *list;
	char list_name[64];

	*is_key = true;
	if (colon) {
		snprintf(list_name, sizeof(list_name), "%.*s",
			 (int)(colon - name), name);
		list = enclosing_list(node, list_name);
		return list ? child_value(list, colon + 1, buf) : NULL;
	}
	if (!strcmp(name, ".")) {
		*is_key = false;
		return command_value(node, buf);
	}
	if (node->schema->nodetype == LYS_LIST) {
		const struct lysc_node *child =
			lys_find_child(node->schema, node->schema->module, name,
				       0, LYS_LEAF, 0);

		*is_key = child && lysc_is_key(child);
	} else {
		*is_key = false;
	}
	return child_value(node, name, buf);
}

static void append(char *buf, const char *word)
{
	size_t len = strlen(buf);

	snprintf(buf + len, MAX_TEXT - len, "%s%s", len ? " " : "", word);
}

static LY_ERR add_line(struct nc_cli_lines *out, const char *text,
		       const char *key, unsigned int depth)
{
	struct nc_cli_line *v =
		realloc(out->v, (out->count + 1) * sizeof(*out->v));

	if (!v)
		return LY_EMEM;
	out->v = v;
	v[out->count] = (struct nc_cli_line){
		.text = strdup(text), .key = strdup(key), .depth = depth};
	if (!v[out->count].text || !v[out->count].key) {
		free(v[out->count].text);
		free(v[out->count].key);
		return LY_EMEM;
	}
	out->count++;
	return LY_SUCCESS;
}

/* The line of one node; false if a placeholder has no value. */
static bool render_node(const struct lyd_node *node, const char *format,
			char *text, char *key)
{
	char words_buf[MAX_TEXT], name[64], buf[MAX_VALUE];
	char *words[MAX_WORDS + 1];
	size_t n;

	snprintf(words_buf, sizeof(words_buf), "cfn %s", format);
	n = split_words(words_buf, words);
	text[0] = key[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *value = words[i];
		bool is_key = true;

		if (is_placeholder(words[i])) {
			placeholder_name(words[i], name, sizeof(name));
			value = placeholder_value(node, name, &is_key, buf);
			if (!value)
				return false;
		}
		append(text, value);
		append(key, is_key ? value : "*");
	}
	return true;
}

static LY_ERR render_def(const struct lyd_node *tree, const char *path,
			 const char *format, struct nc_cli_lines *out)
{
	char xpath[MAX_TEXT], text[MAX_TEXT], key[MAX_TEXT];
	struct ly_set *set = NULL;
	LY_ERR err;

	snprintf(xpath, sizeof(xpath), ROOT "%s", path);
	err = lyd_find_xpath(tree, xpath, &set);
	for (uint32_t i = 0; !err && i < set->count; i++) {
		const struct lyd_node *node = set->dnodes[i];

		/* bgpd's running-config leaves defaults out: so do we */
		if ((node->flags & LYD_DEFAULT) ||
		    !render_node(node, format, text, key))
			continue;
		err = add_line(out, text, key, path_depth(path));
	}
	ly_set_free(set, NULL);
	return err;
}

LY_ERR nc_cli_render(const struct lyd_node *tree, struct nc_cli_lines *out)
{
	char path[MAX_DEF], format[MAX_DEF];
	LY_ERR err = LY_SUCCESS;

	*out = (struct nc_cli_lines){};
	for (size_t i = 0; tree && !err && i < CFN_CONFIG_LINE_TOTAL; i++) {
		cfn_config_line_at(i, path, format, MAX_DEF);
		err = render_def(tree, path, format, out);
	}
	if (err)
		nc_cli_lines_free(out);
	return err;
}

void nc_cli_lines_free(struct nc_cli_lines *lines)
{
	for (size_t i = 0; i < lines->count; i++) {
		free(lines->v[i].text);
		free(lines->v[i].key);
	}
	free(lines->v);
	*lines = (struct nc_cli_lines){};
}

/* -- parsing lines into a tree ------------------------------------------ */

struct capture {
	const char *name; /* placeholder name */
	const char *value;
};

/* Matches the words of a line against a format; fills the captures. */
static size_t match_line(char **words, size_t n, const char *format,
			 char *fmt_buf, struct capture *caps, bool *matched)
{
	char *fwords[MAX_WORDS + 1];
	size_t fn, ncaps = 0;

	snprintf(fmt_buf, MAX_TEXT, "%s", format);
	fn = split_words(fmt_buf, fwords);
	*matched = fn == n;
	for (size_t i = 0; *matched && i < n; i++) {
		if (!is_placeholder(fwords[i])) {
			*matched = !strcmp(fwords[i], words[i]);
			continue;
		}
		fwords[i][strlen(fwords[i]) - 1] = '\0';
		caps[ncaps++] = (struct capture){fwords[i] + 1, words[i]};
	}
	return ncaps;
}

static const char *capture_of(const struct capture *caps, size_t n,
			      const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(caps[i].name, name))
			return caps[i].value;
	return NULL;
}

/* Appends [key='value'] predicates of a list segment to xpath. */
static bool add_predicates(const struct lysc_node *list, bool is_line_node,
			   const struct capture *caps, size_t n, char *xpath)
{
	const struct lysc_node *key;
	char name[128];

	LY_LIST_FOR (lysc_node_child(list), key) {
		const char *value;
		size_t len = strlen(xpath);

		if (!lysc_is_key(key))
			break;
		if (is_line_node)
			snprintf(name, sizeof(name), "%s", key->name);
		else
			snprintf(name, sizeof(name), "%s:%s", list->name,
				 key->name);
		value = capture_of(caps, n, name);
		if (!value || strchr(value, '\''))
			return false;
		snprintf(xpath + len, MAX_TEXT - len, "[%s='%s']", key->name,
			 value);
	}
	return true;
}

/* The data path of the line's node, with the keys of every list. */
static bool data_path(const struct ly_ctx *ctx, const char *path,
		      const struct capture *caps, size_t n, char *xpath)
{
	char schema_path[MAX_TEXT] = ROOT, segs[MAX_TEXT], *save = NULL;
	const char *last = strrchr(path, '/');

	snprintf(xpath, MAX_TEXT, ROOT);
	snprintf(segs, sizeof(segs), "%s", path);
	for (char *seg = strtok_r(segs, "/", &save); seg;
	     seg = strtok_r(NULL, "/", &save)) {
		const struct lysc_node *snode;
		size_t len = strlen(schema_path);

		snprintf(schema_path + len, MAX_TEXT - len, "/%s", seg);
		len = strlen(xpath);
		snprintf(xpath + len, MAX_TEXT - len, "/%s", seg);
		snode = lys_find_path(ctx, NULL, schema_path, 0);
		if (!snode)
			return false;
		if (snode->nodetype == LYS_LIST &&
		    !add_predicates(snode, !strcmp(seg, last + 1), caps, n,
				    xpath))
			return false;
	}
	return true;
}

/* decimal64 leaves: bgpd prints %g (maybe 1e-07), YANG wants decimals */
static const char *yang_value(const struct ly_ctx *ctx, const char *xpath,
			      const char *value, char *buf, size_t len)
{
	const struct lysc_node *snode = lys_find_path(ctx, NULL, xpath, 0);
	const struct lysc_type *type;

	if (!snode || !(snode->nodetype & LYD_NODE_TERM))
		return value;
	type = ((const struct lysc_node_leaf *)snode)->type;
	if (type->basetype != LY_TYPE_DEC64)
		return value;
	snprintf(buf, len, "%.*f",
		 ((const struct lysc_type_dec *)type)->fraction_digits,
		 strtod(value, NULL));
	return buf;
}

static LY_ERR set_leaf(const struct ly_ctx *ctx, struct lyd_node **tree,
		       const char *xpath, const char *value)
{
	char schema_xpath[MAX_TEXT], buf[64];
	char *out = schema_xpath;

	/* the schema path is the data path without predicates */
	for (const char *p = xpath; *p; p++) {
		if (*p == '[') {
			p = strchr(p, ']');
			if (!p)
				return LY_EINVAL;
			continue;
		}
		*out++ = *p;
	}
	*out = '\0';
	value = value ? yang_value(ctx, schema_xpath, value, buf, sizeof(buf))
		      : NULL;
	return lyd_new_path(*tree, ctx, xpath, value, LYD_NEW_PATH_UPDATE,
			    *tree ? NULL : tree);
}

static bool is_own_key(const struct lysc_node *snode, const char *name)
{
	const struct lysc_node *child;

	if (snode->nodetype != LYS_LIST)
		return false;
	child = lys_find_child(snode, snode->module, name, 0, LYS_LEAF, 0);
	return child && lysc_is_key(child);
}

/* Creates the nodes a matched line sets. */
static LY_ERR apply_captures(const struct ly_ctx *ctx, struct lyd_node **tree,
			     const char *path, const struct capture *caps,
			     size_t n)
{
	char xpath[MAX_TEXT], leaf[2 * MAX_TEXT], schema_path[MAX_TEXT];
	const struct lysc_node *snode;
	bool set_any = false;
	LY_ERR err = LY_SUCCESS;

	snprintf(schema_path, sizeof(schema_path), ROOT "%s", path);
	snode = lys_find_path(ctx, NULL, schema_path, 0);
	if (!snode || !data_path(ctx, path, caps, n, xpath))
		return LY_EINVAL;
	for (size_t i = 0; !err && i < n; i++) {
		/* keys are in the path already */
		if (strchr(caps[i].name, ':') ||
		    is_own_key(snode, caps[i].name))
			continue;
		if (!strcmp(caps[i].name, "."))
			snprintf(leaf, sizeof(leaf), "%s", xpath);
		else
			snprintf(leaf, sizeof(leaf), "%s/%s", xpath,
				 caps[i].name);
		err = set_leaf(ctx, tree, leaf, caps[i].value);
		set_any = true;
	}
	if (!err && !set_any)
		err = set_leaf(ctx, tree, xpath, NULL);
	return err;
}

/* One "cfn ..." line (without "cfn"); false if no entry maps it. */
static bool parse_line(const struct ly_ctx *ctx, struct lyd_node **tree,
		       const char *line, LY_ERR *err)
{
	char buf[MAX_TEXT], path[MAX_DEF], format[MAX_DEF];
	char fmt_buf[MAX_TEXT];
	char *words[MAX_WORDS + 1];
	struct capture caps[MAX_WORDS];
	size_t n, ncaps;
	bool matched = false;

	snprintf(buf, sizeof(buf), "%s", line);
	n = split_words(buf, words);
	for (size_t i = 0;
	     !matched && n <= MAX_WORDS && i < CFN_CONFIG_LINE_TOTAL; i++) {
		cfn_config_line_at(i, path, format, MAX_DEF);
		ncaps = match_line(words, n, format, fmt_buf, caps, &matched);
		if (matched)
			*err = apply_captures(ctx, tree, path, caps, ncaps);
	}
	return matched;
}

/* "router bgp ASN" of the default instance; 0 if this is not it. */
static unsigned long router_bgp_asn(const char *line)
{
	unsigned long asn;
	int end = 0;

	if (sscanf(line, "router bgp %lu%n", &asn, &end) != 1 ||
	    line[end] != '\0')
		return 0;
	return asn;
}

LY_ERR nc_cli_parse(const struct ly_ctx *ctx, const char *running,
		    struct lyd_node **tree, unsigned long *asn,
		    void (*unknown)(const char *line))
{
	char *copy = strdup(running), *save = NULL;
	bool in_bgp = false;
	LY_ERR err = LY_SUCCESS;

	*tree = NULL;
	*asn = 0;
	if (!copy)
		return LY_EMEM;
	for (char *line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!in_bgp) {
			*asn = *asn ? *asn : router_bgp_asn(line);
			in_bgp = router_bgp_asn(line) != 0;
			continue;
		}
		if (!strcmp(line, "exit")) {
			in_bgp = false;
			continue;
		}
		if (strncmp(line, " cfn ", 5))
			continue;
		if (!parse_line(ctx, tree, line + 5, &err) && unknown)
			unknown(line + 1);
	}
	free(copy);
	if (err) {
		lyd_free_all(*tree);
		*tree = NULL;
	}
	return err;
}

/* -- planning the commands ----------------------------------------------- */

static const struct nc_cli_line *find_key(const struct nc_cli_lines *lines,
					  const char *key)
{
	for (size_t i = 0; i < lines->count; i++)
		if (!strcmp(lines->v[i].key, key))
			return &lines->v[i];
	return NULL;
}

static int deepest_first(const void *a, const void *b)
{
	const struct nc_cli_line *x = a, *y = b;

	return (int)y->depth - (int)x->depth;
}

static int parents_first(const void *a, const void *b)
{
	return deepest_first(b, a);
}

LY_ERR nc_cli_plan(const struct nc_cli_lines *from,
		   const struct nc_cli_lines *to, struct nc_cli_lines *out)
{
	struct nc_cli_lines removals = {}, additions = {};
	char text[MAX_TEXT + 3];
	LY_ERR err = LY_SUCCESS;

	*out = (struct nc_cli_lines){};
	for (size_t i = 0; !err && i < from->count; i++) {
		const struct nc_cli_line *line = &from->v[i];

		if (find_key(to, line->key))
			continue;
		snprintf(text, sizeof(text), "no %s", line->text);
		err = add_line(&removals, text, line->key, line->depth);
	}
	for (size_t i = 0; !err && i < to->count; i++) {
		const struct nc_cli_line *line = &to->v[i];
		const struct nc_cli_line *now = find_key(from, line->key);

		if (!now || strcmp(now->text, line->text))
			err = add_line(&additions, line->text, line->key,
				       line->depth);
	}
	if (removals.count)
		qsort(removals.v, removals.count, sizeof(*removals.v),
		      deepest_first);
	if (additions.count)
		qsort(additions.v, additions.count, sizeof(*additions.v),
		      parents_first);
	for (size_t i = 0; !err && i < removals.count; i++)
		err = add_line(out, removals.v[i].text, removals.v[i].key,
			       removals.v[i].depth);
	for (size_t i = 0; !err && i < additions.count; i++)
		err = add_line(out, additions.v[i].text, additions.v[i].key,
			       additions.v[i].depth);
	nc_cli_lines_free(&removals);
	nc_cli_lines_free(&additions);
	if (err)
		nc_cli_lines_free(out);
	return err;
}
