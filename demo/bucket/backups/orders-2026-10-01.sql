-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: orders-db    Database: orders
-- ------------------------------------------------------

DROP TABLE IF EXISTS `customers`;
CREATE TABLE `customers` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(120) NOT NULL,
  `email` varchar(200) NOT NULL,
  `card_last4` char(4) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `customers` WRITE;
INSERT INTO `customers` VALUES (1,'Rosa Moretti','rosa0@mail.example','6176'),(2,'Gustavo Wei','gustavo1@mail.example','8153');
UNLOCK TABLES;

DROP TABLE IF EXISTS `admin_users`;
CREATE TABLE `admin_users` (
  `id` int NOT NULL,
  `login` varchar(64) NOT NULL,
  `password_hash` varchar(128) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO `admin_users` VALUES (1,'ops','$2b$12$KIXQ4r3Fz1sC0YpN9mV7UeQ5dJ2hL8wB6tG4nR1aS3xE7yT0uI9oO');
