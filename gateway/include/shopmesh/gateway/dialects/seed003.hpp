#pragma once
// Seed 003's dialect (the FastAPI bookstore, rajtharun08's OnlineBookstore, branch
// microservice-version): books and orders at the gateway's root. A book is a product in category
// Books whose author is attributes.author, so it is ordered through the same saga as any product.
// Plain functions over JSON text; dialects.cpp wires them into the transforms routes.json names.
#include <string>
#include <string_view>

namespace shopmesh::gateway::seed003 {

/// GET /books' query (`page`, `size`) as the catalog's: category Books, `size` as `limit` (50 when
/// absent, fastapi-pagination's default); other parameters pass, a `category` is dropped.
std::string books_query(std::string_view query);
/// A book `{title, author, price, stock}` as a product in category Books with attributes.author.
/// `whole` (POST): all four are required; otherwise (PUT, a partial update) each is optional and a
/// null member is left unchanged. Throws core::DomainError (invalid) naming the book's fields.
std::string product_from_book(std::string_view book, bool whole);
/// A product as a book: `{id, title, author, price, stock}` (author "" when it has none).
std::string book_from_product(std::string_view product);
/// A catalog page `{items, page, limit, total}` as fastapi-pagination's `{items, total, page, size, pages}`.
std::string books_page(std::string_view products_page);
/// An order `{book_id, quantity}` as Shopmesh's `{items: [{productId, quantity}]}`.
std::string order_from_seed(std::string_view order);
/// A Shopmesh order as seed 003's `{id, user_id, book_id, quantity, total_price, status, created_at}`:
/// the first line's book, the quantity of all lines, the status in lower case.
std::string seed_order(std::string_view order);
/// A page of orders as seed 003's list of orders (GET /orders/my-orders).
std::string seed_orders(std::string_view orders_page);

}  // namespace shopmesh::gateway::seed003
