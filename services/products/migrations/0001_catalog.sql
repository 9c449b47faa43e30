-- The catalog: categories and products. Prices are integer cents; text search over name and
-- description uses a generated tsvector with a GIN index.
CREATE TABLE categories (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  slug        text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id           uuid PRIMARY KEY,
  sku          text NOT NULL UNIQUE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  price_cents  bigint NOT NULL CHECK (price_cents >= 0),
  currency     char(3) NOT NULL DEFAULT 'USD',
  category     text,
  image_url    text,
  stock        integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
  active       boolean NOT NULL DEFAULT true,
  deleted_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  search       tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
                 setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED
);
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_category_idx ON products (category) WHERE deleted_at IS NULL;
CREATE INDEX products_price_idx ON products (price_cents) WHERE deleted_at IS NULL;
