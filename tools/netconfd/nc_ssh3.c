/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH for libnetconf2 3.x, which takes its endpoints as YANG data of
 * ietf-netconf-server and authenticates the system's users itself once
 * ietf-ssh-server's local-users-supported feature is off: public keys
 * from the authorized keys file, passwords of the password method from
 * the shadow file, keyboard-interactive through our callback (PAM).
 * It has no hook for the group rule before a password or key is
 * accepted, so a user outside the group is sent away right after
 * nc_accept().
 */
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "nc_auth.h"
#include "nc_ssh.h"

#define ENDPOINT "ssh"
#define SSH_SERVER_MODULE "ietf-ssh-server"

bool nc_ssh_load_modules(struct ly_ctx *ctx)
{
	/*
	 * ietf-ssh-server without features: the system's users, as
	 * libnetconf2 takes them when local-users-supported is off (and no
	 * keepalives, which cfn-netconfd does not configure)
	 */
	static const char *no_features[] = {NULL};
	struct lys_module *ssh_server;

	if (ly_ctx_set_searchdir(ctx, CFN_LN2_SCHEMAS_DIR) ||
	    nc_server_config_load_modules(&ctx))
		return false;
	ssh_server = ly_ctx_get_module_implemented(ctx, SSH_SERVER_MODULE);
	return ssh_server && !lys_set_implemented(ssh_server, no_features);
}

bool nc_ssh_server_init(struct ly_ctx *ctx)
{
	struct lysc_node *close_session = (struct lysc_node *)lys_find_path(
		ctx, NULL, "/ietf-netconf:close-session", 0);

	/* 2.x's nc_server_init() sets it, 3.x's default is the global one */
	if (close_session && !close_session->priv)
		nc_set_rpc_callback(close_session,
				    nc_clb_default_close_session);
	return !nc_server_init();
}

/* Asks for the password once and hands it to PAM. */
static int interactive_clb(const struct nc_session *session, ssh_session ssh,
			   ssh_message msg, void *user_data)
{
	static const char *prompts[] = {"Password: "};
	char echo[] = {0}; /* libssh takes it non-const */
	const struct passwd *pw =
		nc_auth_user(nc_session_get_username(session));

	(void)user_data;
	if (!pw ||
	    ssh_message_auth_interactive_request(msg, "", "", 1, prompts,
						 echo) != SSH_OK ||
	    nc_server_ssh_kbdint_get_nanswers(session, ssh) != 1)
		return 1;
	return nc_auth_password(pw, ssh_userauth_kbdint_getanswer(ssh, 0)) ? 0
									   : 1;
}

bool nc_ssh_listen(struct ly_ctx *ctx, const struct nc_ssh_options *o)
{
	struct lyd_node *config = NULL;
	bool ok;

	nc_server_ssh_set_interactive_auth_clb(interactive_clb, NULL, NULL);
	ok = !nc_server_ssh_set_authkey_path_format(o->keys_file) &&
	     !nc_server_config_add_address_port(ctx, ENDPOINT, NC_TI_SSH,
						o->address, o->port, &config) &&
	     !nc_server_config_add_ssh_hostkey(ctx, ENDPOINT, "host-key",
					       o->host_key, NULL, &config) &&
	     !nc_server_config_setup_data(config);
	lyd_free_all(config);
	return ok;
}

NC_MSG_TYPE nc_ssh_accept(struct ly_ctx *ctx, int timeout_ms,
			  struct nc_session **session)
{
	NC_MSG_TYPE msg = nc_accept(timeout_ms, ctx, session);

	if (msg == NC_MSG_HELLO &&
	    !nc_auth_user(nc_session_get_username(*session))) {
		nc_session_free(*session, NULL);
		*session = NULL;
		return NC_MSG_ERROR;
	}
	return msg;
}
