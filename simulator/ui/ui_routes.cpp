// SPDX-License-Identifier: Apache-2.0
#include "ui/ui_routes.hpp"

#include "portal/cards.hpp"
#include "portal/pages.hpp"
#include "portal/web_routes.hpp"
#include "ui/assets.hpp"
#include "ui/landing_page.hpp"
#include "world/runtime.hpp"

namespace mynasim {
namespace {

std::string content_type_of(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".yaml")) return "application/yaml; charset=utf-8";
  return "application/octet-stream";
}

http_response asset_response(std::string_view name) {
  const auto* a = find_asset(name);
  if (!a) return json_error(404, "not_found", "no file '" + std::string(name) + "'");
  http_response res{200, {}, std::string(a->text())};
  res.set("content-type", content_type_of(name));
  res.set("cache-control", "no-cache");
  add_page_headers(res);
  return res;
}

// The scheme and authority a browser used to reach this listener.
std::string origin_of(const http_request& req, bool tls) {
  const auto* host = req.header("host");
  return std::string(tls ? "https://" : "http://") + (host ? *host : "localhost");
}

}  // namespace

void register_landing_routes(router& app, const landing_context& ctx) {
  app.add_sync("GET", "/", [ctx](http_request& req) {
    const auto* host = req.header("host");
    landing_facts facts;
    facts.world_name = ctx.runtime->world.name;
    facts.app_origin = origin_of(req, ctx.runtime->world.server.app.tls.enabled);
    facts.admin_url = ctx.control_room_url(host ? *host : "");
    read_landing_query(req.query, facts);
    facts.tries_left = [cards = ctx.cards](const std::string& serial) -> std::optional<int> {
      auto s = cards->status(serial);
      return s ? std::optional<int>(s->tries_left) : std::nullopt;
    };
    auto res = http_response::html(200, landing_page(*ctx.runtime->data.get(), facts));
    res.set("cache-control", "no-store");
    add_page_headers(res);
    return res;
  });
  app.add_sync("GET", sample_callback_path, [ctx](http_request& req) {
    callback_facts facts;
    if (!parse_form(req.query, facts.query)) facts.query.clear();
    if (facts.query.size() > 32) facts.query.resize(32);
    const auto& server = ctx.runtime->world.server;
    facts.redirect_uri = origin_of(req, server.app.tls.enabled) + sample_callback_path;
    const auto* host = req.header("host");
    std::string name = host ? *host : "localhost";
    if (auto colon = name.rfind(':'); colon != std::string::npos && name.find(']') == std::string::npos)
      name.resize(colon);
    facts.sp_origin =
        std::string(server.sp.tls.enabled ? "https://" : "http://") + name + ":" + ctx.sp_port() + ctx.prefix;
    auto res = http_response::html(200, sample_callback_page(*ctx.runtime->data.get(), facts));
    res.set("cache-control", "no-store");
    add_page_headers(res);
    return res;
  });
  app.add_sync("GET", std::string(paths::page_assets) + "{file}", [](http_request& req) {
    const auto& file = req.params["file"];
    if (file != "portal.css") return json_error(404, "not_found", "no file '" + file + "'");
    return asset_response(file);
  });
}

void register_control_room_routes(router& admin) {
  admin.add_sync("GET", "/", [](http_request&) {
    http_response res{302, {}, {}};
    res.set("location", "/__admin/ui");
    return res;
  });
  admin.add_sync("GET", "/__admin/ui", [](http_request&) { return asset_response("control-room.html"); });
  // The OpenAPI documents of docs/openapi, as built in.
  admin.add_sync("GET", "/__admin/openapi/{file}", [](http_request& req) {
    const auto& file = req.params["file"];
    if (file != "mynasim-api.yaml" && file != "mynasim-admin.yaml")
      return json_error(404, "not_found", "no document '" + file + "'");
    return asset_response(file);
  });
  admin.add_sync("GET", "/__admin/ui/{file}", [](http_request& req) {
    const auto& file = req.params["file"];
    if (file != "control-room.css" && file != "control-room.js")
      return json_error(404, "not_found", "no file '" + file + "'");
    return asset_response(file);
  });
}

}  // namespace mynasim
