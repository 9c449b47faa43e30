#pragma once
// Seed 004's dialect (the NestJS e-commerce mesh, barispolatt/Microservice-E-Commerce-Backend):
// its api-gateway under /api/v1 (setGlobalPrefix), every answer wrapped by its
// TransformResponseInterceptor as {success: true, statusCode, data} and every error by its
// HttpExceptionFilter as {success: false, statusCode, timestamp, path, error}. Plain functions over
// JSON text; dialects.cpp wires them into the transforms routes.json names.
#include <string>
#include <string_view>

namespace shopmesh::gateway::seed004 {

/// Seed 004's ids are integers, so its Postman collection writes them unquoted
/// (`"productId": {{createdProductId}}`); Shopmesh's are UUIDs. A canonical UUID standing bare
/// where a JSON value goes is quoted; valid JSON is returned unchanged.
std::string quote_bare_ids(std::string_view body);
/// The success envelope around `data` (JSON text): `{success: true, statusCode, data}`.
std::string success(int status, std::string_view data);
/// The error body for a Shopmesh problem+json (or any body): `{success: false, statusCode,
/// timestamp, path, error}`, `error` being the problem's detail; its `errors` and `requestId` are kept.
std::string failure(int status, std::string_view problem, std::string_view path, std::string_view timestamp);
/// Shopmesh's token pair as seed 004's login: `{accessToken, refreshToken, tokenType, expiresIn, user}`.
std::string login(std::string_view token_pair);
/// A seed 004 product body as Shopmesh's: its product fields, `images` ([{url, index}] or [url])
/// as `imageUrl` (the first), `sellerId` dropped.
std::string product_from_seed(std::string_view product);
/// A Shopmesh product with seed 004's `images: [{url, index}]` added.
std::string seed_product(std::string_view product);
/// A catalog page `{items, page, limit, total}` as seed 004's `{data, total, page, limit}`.
std::string products_page(std::string_view page);
/// A page of users as seed 004's list of users.
std::string users(std::string_view page);
/// A cart line `{productId, quantity, name?, price?}` as Shopmesh's `{productId, quantity}` (the
/// catalog prices it).
std::string cart_item_from_seed(std::string_view item);
/// Shopmesh's cart as seed 004's: `{userId, items, totalPrice, totalItems}` (and `total`).
std::string seed_cart(std::string_view cart, std::string_view user_id);
/// An order `{products: [{productId, quantity}]}` as Shopmesh's `{items: [...]}`.
std::string order_from_seed(std::string_view order);
/// A Shopmesh order with seed 004's names added: `totalPrice`, and `price` and `name` per line.
std::string seed_order(std::string_view order);

}  // namespace shopmesh::gateway::seed004
